/**
 * Changing system calls: ABORT at entry plus a return value set at exit (the program sees
 * the injected error), editing arguments and the syscall number, which engine decides
 * RUN/ABORT, and the registers agreeing with the reports.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Attach, Event, Resume, SyscallAction, SYSCALL_NR } from '../../src/index.js';
import type { EngineOps, SyscallReport } from '../../src/index.js';
import { capture, cleanup, exitGuard, exitOf, fixture, newTracer, T, untraced } from './helpers.js';

afterEach(cleanup);
after(exitGuard);

const GETPPID = SYSCALL_NR['getppid']!;
const GETPID = SYSCALL_NR['getpid']!;
const WRITE = SYSCALL_NR['write']!;
const MARK = 0x5eedn;
const ENOENT = 2n;
const ENOSYS = 38n;

const marked = (call: SyscallReport, nr: number, argIndex: number) => call.nr === nr && call.args[argIndex] === MARK;

async function runEdit(ops: EngineOps[], events = Event.SYSCALL): Promise<string> {
  const tracer = newTracer();
  const out = capture();
  const task = await tracer.spawn([fixture('syscall_edit')], { stdio: ['ignore', out.fd, 'inherit'] });
  for (const o of ops) tracer.attachTask(task, Attach.CREATE, o).setEvents(events);
  task.start();
  assert.deepEqual(await exitOf(task), { code: 0, signal: null, core: false });
  return out.text();
}

test('untraced reference output of the fixture', T, () => {
  assert.equal(untraced(fixture('syscall_edit')), `getppid=${process.pid} errno=0\nabcdef\n\nwrote=7\n`);
});

test('ABORT at entry and setReturn(-ENOENT) at exit: the program sees -1 / errno 2', T, async () => {
  let seenRet: bigint | undefined;
  let regsOk = false;
  const out = await runEdit([{
    reportSyscallEntry(_a, eng, call) {
      if (!marked(call, GETPPID, 0)) return;
      const r = eng.task.regs();
      regsOk = r.get('orig_rax') === BigInt(GETPPID) && r.get('rdi') === MARK;
      return Resume.RESUME | SyscallAction.ABORT;
    },
    reportSyscallExit(_a, _e, call) {
      if (!marked(call, GETPPID, 0)) return;
      seenRet = call.ret;
      call.setReturn(-ENOENT);
    },
  }]);
  assert.equal(out, `getppid=-1 errno=2\nabcdef\n\nwrote=7\n`);
  assert.equal(regsOk, true, 'orig_rax and rdi agree with the entry report');
  assert.equal(seenRet, -ENOSYS, 'an aborted syscall returns -ENOSYS unless the exit report changes it');
});

test('ABORT alone: the syscall does not run and returns -ENOSYS', T, async () => {
  const out = await runEdit([{
    reportSyscallEntry(_a, _e, call) {
      if (marked(call, WRITE, 3)) return Resume.RESUME | SyscallAction.ABORT;
    },
  }], Event.SYSCALL_ENTRY);
  assert.equal(out, `getppid=${process.pid} errno=0\n\nwrote=-1\n`, 'nothing written; write failed');
});

test('editing arguments at entry: write(1, buf, 7) becomes write(1, buf, 3)', T, async () => {
  let exitArgs: readonly bigint[] = [];
  let exitRet: bigint | undefined;
  const out = await runEdit([{
    reportSyscallEntry(_a, _e, call) {
      if (!marked(call, WRITE, 3)) return;
      call.setArg(2, 3n);
      assert.equal(call.args[2], 3n);
    },
    reportSyscallExit(_a, _e, call) {
      if (!marked(call, WRITE, 3)) return;
      exitArgs = call.args;
      exitRet = call.ret;
    },
  }]);
  assert.equal(out, `getppid=${process.pid} errno=0\nabc\nwrote=3\n`);
  assert.equal(exitRet, 3n);
  assert.equal(exitArgs[2], 3n, 'the exit report shows the arguments the call ran with');
});

test('editing the syscall number: the marked getppid runs as getpid', T, async () => {
  let pid = 0;
  const out = await runEdit([{
    reportSyscallEntry(_a, eng, call) {
      if (!marked(call, GETPPID, 0)) return;
      pid = eng.task.tgid;
      call.setNr(GETPID);
      assert.equal(eng.task.regs().get('orig_rax'), BigInt(GETPID));
    },
    reportSyscallExit(_a, _e, call) {
      if (marked(call, GETPID, 0)) assert.equal(call.ret, BigInt(pid));
    },
  }]);
  assert.equal(out, `getppid=${pid} errno=0\nabcdef\n\nwrote=7\n`);
});

test('setReturn only at exit, setArg/setNr only at entry (EINVAL)', T, async () => {
  const errors: string[] = [];
  const tryCode = (f: () => void) => {
    try {
      f();
      errors.push('ok');
    } catch (e) {
      errors.push((e as { code: string }).code);
    }
  };
  await runEdit([{
    reportSyscallEntry(_a, _e, call) {
      if (marked(call, GETPPID, 0)) tryCode(() => call.setReturn(0n));
    },
    reportSyscallExit(_a, _e, call) {
      if (!marked(call, GETPPID, 0)) return;
      tryCode(() => call.setArg(0, 1n));
      tryCode(() => call.setNr(GETPID));
    },
  }]);
  assert.deepEqual(errors, ['EINVAL', 'EINVAL', 'EINVAL']);
});

test('RUN/ABORT: the last engine called at entry (the first attached) decides', T, async () => {
  const abort: EngineOps = {
    reportSyscallEntry(_a, _e, call) {
      if (marked(call, GETPPID, 0)) return Resume.RESUME | SyscallAction.ABORT;
    },
  };
  const run: EngineOps = {
    reportSyscallEntry(action, _e, call) {
      if (marked(call, GETPPID, 0)) return Resume.RESUME | SyscallAction.RUN;
      return action; // no opinion on other calls
    },
  };
  const noOpinion: EngineOps = {
    reportSyscallEntry() {
      return undefined;
    },
  };
  const aborted = `getppid=-1 errno=38\nabcdef\n\nwrote=7\n`;
  const ran = `getppid=${process.pid} errno=0\nabcdef\n\nwrote=7\n`;
  // Entry order is the reverse of attach order: the first engine attached is called last.
  assert.equal(await runEdit([abort, run], Event.SYSCALL_ENTRY), aborted);
  assert.equal(await runEdit([run, abort], Event.SYSCALL_ENTRY), ran);
  // An engine without an opinion (undefined) keeps the decision made before it.
  assert.equal(await runEdit([noOpinion, abort], Event.SYSCALL_ENTRY), aborted);
});
