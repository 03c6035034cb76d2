/**
 * The ioctl decoder with every device family registered: importing a family module registers
 * it (registerIoctlFamily), so this list is the one place that says which families exist.
 */
import './ioctl-block.js';
import './ioctl-btrfs.js';
import './ioctl-dm.js';
import './ioctl-evdev.js';
import './ioctl-fs.js';
import './ioctl-gpio.js';
import './ioctl-hdio.js';
import './ioctl-kd.js';
import './ioctl-loop.js';
import './ioctl-misc.js';
import './ioctl-mtd.js';
import './ioctl-perf.js';
import './ioctl-ptp.js';
import './ioctl-rtc.js';
import './ioctl-scsi.js';
import './ioctl-seccomp.js';
import './ioctl-sg-io.js';
import './ioctl-sock.js';
import './ioctl-tee.js';
import './ioctl-term.js';
import './ioctl-ubi.js';
import './ioctl-uffd.js';
import './ioctl-v4l2.js';

export { ioctl } from './ioctl.js';
