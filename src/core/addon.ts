/**
 * The core's handle on the native addon: the addon as src/native/binding.ts loads it, with its
 * errors made UtraceErrors (errno name, syscall, tid). Core files that call the addon import it
 * from here, so the factory is in place whichever of them loads first.
 */
import { native } from '../native/binding.js';
import { UtraceError } from './errors.js';

native.setErrorFactory((errno, syscall, tid) => new UtraceError(errno, syscall, tid));

export { native };
