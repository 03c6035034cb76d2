/** The gdb engine's debug log switch (--debug, `monitor set debug`, UTRACE_GDB_DEBUG). */
export let DEBUG = !!process.env['UTRACE_GDB_DEBUG'];
/** --debug, `monitor set debug 1|0` (UTRACE_GDB_DEBUG keeps it on). */
export function setGdbDebug(on: boolean): void {
  DEBUG = on || !!process.env['UTRACE_GDB_DEBUG'];
}
