// scripts/strace-testsuite-classify.mjs: names the kind of a regression in strace's test suite
// (a test that passes with strace and not with `utrace strace`) from the FIRST difference its
// utrace log shows. Used by scripts/strace-testsuite-report.mjs; pure (table tests in
// test/scripts/strace-testsuite-classify.test.ts).
//
// Inputs: the test's log (the harness's NAME.log: what the test printed), the text files it
// left in NAME.dir (many tests send strace's stderr there), its utrace result, whether its twin
// without an -X suffix passes, and the set of syscalls utrace has a decoder for.
// Rules, tried in this order; the first that applies names the category:
//   harness      no result from the harness (it stopped before the test ran)
//   option-long  a usage error of utrace in the log ("utrace strace: MSG" then "Try 'utrace
//   option       strace -h'"): an unknown --long option goes to option-long; anything else
//                (unknown short option, unsupported -e qualifier or inject key, a syscall name
//                or class -e trace= does not know, a bad argument) to option. Detail: the option
//   crash        a JavaScript exception or "Internal error" in the log
//   timeout      "time limit (N) exceeded" with no difference printed before it (hang or far
//                too slow; the limit is in the run's NAME.time)
//   then the first difference: the first change block of the first diff (unified: '-' is
//   strace's expected line E, '+' utrace's line A; plain: the suite puts the expected file
//   first), or for match_grep checks the first failed pattern (E) and the actual line calling
//   the same syscall (A). Pids and timestamps are ignored when naming the syscall:
//     option / option-long  A is utrace's usage error (a test comparing diagnostics)
//     message    E or A is a diagnostic ("$STRACE: ...", "utrace strace: ..."): the text differs
//     netlink    E holds a netlink message (nlmsg_*), or the test is netlink_*/nlattr_*/
//                nfnetlink_* and E is a send/recv call; detail: the family, from the test name
//     ioctl      E is an ioctl call; detail: the family (ioctl_FOO -> FOO, else the test)
//     threads    E or A shows execve in a thread (superseded, pid changed), <unfinished ...> or
//                resumed, or only one of them has a pid prefix
//     signal     E or A is a signal line (--- ...)
//     exit       E or A is an exit line (+++ exited/killed)
//     xlat       an -Xraw/-Xabbrev/-Xverbose test whose twin without the suffix passes with
//                utrace: the difference is in how -X prints constants
//     raw        E's syscall has no decoder in utrace (src/engines/strace/decoders): printed
//                raw; detail: the syscall
//     lines      E and A name different syscalls, or one side has no line: a line missing or
//                extra (selection -e/-P/--status, or a call utrace does not show)
//     format     E and A are equal once whitespace is ignored (the -a column, spacing)
//     retval     E and A differ only from the last ") = " on (return value, errno, flags)
//     decoder    same syscall, the arguments differ; detail: the syscall
//   with no difference in the log, from NAME.dir's files: option / option-long / crash as above
//   skip         utrace's result is SKIP: a check the test makes of $STRACE failed; detail: why
//   exit         "STRACE ... failed with code N": utrace exited non-zero without a usage error
//   other        anything else (awk checks, a test's own message); detail: that message

export const CATEGORIES = {
  harness: 'no result from the harness',
  timeout: 'run-time: hang / time limit',
  'option-long': 'utrace rejected a --long option',
  option: 'utrace rejected an option / usage error',
  crash: 'utrace threw / internal error',
  netlink: 'netlink message decoding',
  ioctl: 'ioctl decoding',
  signal: 'run-time: signals',
  exit: 'run-time: exit status',
  threads: 'run-time: threads / unfinished-resumed',
  xlat: '-X raw/abbrev/verbose',
  raw: 'syscall printed raw (no decoder)',
  lines: 'line missing or extra (selection)',
  format: 'whitespace / alignment only',
  retval: 'return value / errno differs',
  decoder: 'decoder differs (same syscall)',
  message: 'diagnostic message differs (syntax tests)',
  skip: 'skipped with utrace (the test\'s own check of strace failed)',
  other: 'other',
};

/** The test's subject: foo.gen.test -> foo. */
export const subject = (t) => t.replace(/(\.gen)?\.test$/, '');

/** A trace line without its pid prefix and timestamps. */
function strip(line) {
  return line
    .trimStart()
    .replace(/^\[pid +\d+\] /, '')
    .replace(/^\d+ +/, '')
    .replace(/^(\d+:\d+:\d+(\.\d+)?|\d+\.\d+) +/, '')
    .replace(/^\d+\.\d+ +/, '');
}
const callName = (line) => (line == null ? null : (/^([a-z_][a-z0-9_]*)\(/.exec(strip(line))?.[1] ?? null));
const hasPid = (line) => /^(\[pid +\d+\] |\d+ +)/.test(line);

/** The first difference in a log: { e, a, at } (e or a may be null; at: its line index), or
 * null when there is none. */
export function firstDifference(log) {
  const lines = log.split('\n');
  const unified = lines.findIndex((l) => l.startsWith('@@ '));
  // A plain diff (threads-execve and a few others): the suite puts the expected file first.
  const plain = lines.findIndex((l) => /^\d+(,\d+)?[acd]\d+(,\d+)?$/.test(l));
  const grep = lines.findIndex((l) => l === 'Failed patterns of expected output:');
  const first = Math.min(...[unified, plain, grep].map((i) => (i < 0 ? Infinity : i)));
  if (first === Infinity) return null;
  let e = null;
  let a = null;
  if (first === unified) {
    for (let i = unified + 1; i < lines.length; i++) {
      const l = lines[i];
      if (l.startsWith('-')) {
        if (a !== null) break; // a later change block
        e ??= l.slice(1);
      } else if (l.startsWith('+')) a ??= l.slice(1);
      else if (e !== null || a !== null) break;
      else if (!l.startsWith(' ') && !l.startsWith('@@')) break;
    }
  } else if (first === plain) {
    for (let i = plain + 1; i < lines.length; i++) {
      const l = lines[i];
      if (l.startsWith('< ')) e ??= l.slice(2);
      else if (l.startsWith('> ')) a ??= l.slice(2);
      else if (l !== '---') break;
    }
  } else {
    // match_grep: "#N: pattern" lines, then "Actual output:"; a few tests print bare patterns.
    e = /^(?:#\d+: )?(.*)$/.exec(lines[grep + 1] ?? '')?.[1] ?? null;
    const act = lines.indexOf('Actual output:', grep);
    const name = patternName(e);
    if (name) {
      const from = act >= 0 ? act + 1 : grep + 2;
      a = lines.slice(from).find((l) => callName(l) === name) ?? null;
    }
  }
  return e !== null || a !== null ? { e, a, at: first } : null;
}
/** The syscall an egrep pattern of expected output is about. */
function patternName(p) {
  return p == null ? null : (/([a-z_][a-z0-9_]*)\\\(/.exec(p)?.[1] ?? callName(p));
}

const WRAPPER = /\S*\/utrace-strace\b/g;
/** The last "failed test:" message, the test's own words. */
function failMessage(log) {
  const m = [...log.matchAll(/: failed test: (.*)$/gm)].pop();
  return m ? m[1].replace(WRAPPER, 'STRACE') : '';
}

/** A usage error of `utrace strace` in a text: {category, detail} or null. */
function usageError(text) {
  const u = /^utrace strace: (.*)\nTry 'utrace strace -h'/m.exec(text);
  return u ? usageDetail(u[1]) : null;
}
function usageDetail(msg) {
  const unk = /^Unknown option '([^']*)'/.exec(msg);
  if (unk) {
    const o = unk[1].replace(/=.*$/, '');
    return { category: o.startsWith('--') ? 'option-long' : 'option', detail: o };
  }
  let m = /^(-e [\w-]+=) is not supported/.exec(msg);
  if (m) return { category: 'option', detail: m[1] };
  m = /^invalid system call '([^']*)'/.exec(msg);
  if (m) return { category: 'option', detail: `-e trace=${m[1]}` };
  m = /^invalid (\w+) argument '([^']*)'/.exec(msg);
  if (m) {
    // -e inject=SET:KEY=V...: name the keys beyond those utrace's usage lists.
    const keys = m[2].split(':').slice(1).map((k) => k.replace(/=.*$/, ''))
      .filter((k) => !['error', 'retval', 'signal', 'when'].includes(k));
    return { category: 'option', detail: `-e ${m[1]}=${keys.length ? `…:${keys.join(',')}` : '(argument)'}` };
  }
  m = /^Option '(-\w)[, ]/.exec(msg);
  if (m) return { category: 'option', detail: `${m[1]} (argument)` };
  return { category: 'option', detail: msg.replace(/'[^']*'/g, "'…'").slice(0, 60) };
}
const CRASH = /^\s+at .*\.js:\d+:\d+\)?$|Internal error|Uncaught|^\w*(TypeError|RangeError|ReferenceError)\b/m;
/** A JavaScript exception or internal error in a text: its first line, or null. */
function crashLine(text) {
  const m = CRASH.exec(text);
  if (!m) return null;
  const lines = text.split('\n');
  const at = text.slice(0, m.index).split('\n').length - 1;
  // For a stack frame, the message is the line above the first "    at".
  let i = at;
  while (i > 0 && /^\s+at /.test(lines[i])) i--;
  return lines[i].trim().slice(0, 80);
}

function netlinkFamily(t) {
  const s = subject(t).replace(/-.*$/, '');
  if (/^nfnetlink_/.test(s)) return 'netfilter';
  let m = /^netlink_(.*)$/.exec(s);
  if (m) return m[1];
  m = /^nlattr_(.*)$/.exec(s);
  if (!m) return s === 'nlattr' ? 'protocol' : s;
  const k = m[1];
  if (/diag_(msg|req)/.test(k)) return 'sock_diag';
  if (/^crypto/.test(k)) return 'crypto';
  if (/^nlmsgerr/.test(k)) return 'protocol';
  if (/^(ifaddrmsg|ifinfomsg|ifaddrlblmsg|ifla|ifstats|rtmsg|rtgenmsg|ndmsg|ndtmsg|tcmsg|tcamsg|tca_|tc_|br_port_msg|mdba|dcbmsg|fib_rule|netconfmsg|nhmsg|cachereport)/.test(k)) return 'route';
  return k;
}
function ioctlFamily(t) {
  const s = subject(t).replace(/-.*$/, '');
  const m = /^ioctl_(.*)$/.exec(s);
  if (m) return m[1];
  return s === 'ioctl' ? 'misc (ioctl.test)' : s;
}

/** @returns {{category: string, detail: string, e: string|null, a: string|null}} */
export function classify(t, { log, dirText = '', result = 'FAIL', twinPasses = false, decoded = null }) {
  const none = { e: null, a: null };
  if (log.includes('strace-testsuite: no result from the harness')) return { category: 'harness', detail: '', ...none };
  const usage = usageError(log);
  if (usage) return { ...usage, ...none };
  const crash = crashLine(log);
  if (crash) return { category: 'crash', detail: crash, ...none };
  const d = firstDifference(log);
  const lines = log.split('\n');
  const limit = lines.findIndex((l) => /time limit \(\d+\) exceeded/.test(l));
  if (limit >= 0 && !(d && d.at < limit)) return { category: 'timeout', detail: '', ...none };
  if (d) return classifyDifference(t, d, twinPasses, decoded);
  // Nothing in the log: the test sent strace's stderr to a file in its directory.
  const usage2 = usageError(dirText);
  if (usage2) return { ...usage2, ...none };
  const crash2 = crashLine(dirText);
  if (crash2) return { category: 'crash', detail: crash2, ...none };
  const fm = failMessage(log) || failMessage(dirText);
  // The line the test printed before failing: the program's or utrace's own complaint.
  const at = lines.findIndex((l) => l.includes(': failed test: '));
  const before = at > 0 ? lines.slice(0, at).filter((l) => l && !/^(utrace strace: Process \d+ (attached|detached)|\+\+\+ )/.test(l)).pop() ?? null : null;
  if (result === 'SKIP') {
    const m = /: (?:framework )?skip(?:ped test)?: (.*)$/m.exec(log);
    return { category: 'skip', detail: (m?.[1] ?? '').replace(WRAPPER, 'STRACE').slice(0, 80), ...none };
  }
  const m = /^STRACE .* failed with code (\d+)$/.exec(fm);
  if (m) return { category: 'exit', detail: `utrace exited ${m[1]}`, e: fm, a: before };
  const st = /\(exit status: (\d+)\)\s*$/.exec(log)?.[1];
  return { category: 'other', detail: (fm || (st ? `no message, exit status ${st}` : '')).slice(0, 100), e: null, a: before };
}

function classifyDifference(t, { e, a }, twinPasses, decoded) {
  const en = callName(e) ?? patternName(e);
  const an = callName(a);
  const se = e == null ? '' : strip(e);
  const sa = a == null ? '' : strip(a);
  const r = (category, detail) => ({ category, detail, e, a });
  const sub = subject(t);
  // Diagnostics: tests of option syntax compare strace's error messages.
  const au = /^utrace strace: (.*)$/.exec(sa);
  if (au && /^(Unknown option|-e [\w-]+= is not supported|invalid system call)/.test(au[1])) {
    const u = usageDetail(au[1]);
    return r(u.category, u.detail);
  }
  if (/^(\S*\/utrace-strace|strace): /.test(se) || au) return r('message', se.replace(WRAPPER, 'STRACE').slice(0, 60));
  if (/nlmsg_/.test(se) || (/^(netlink_|nlattr_|nfnetlink_)/.test(sub) && /^(send|recv)/.test(en ?? ''))) {
    return r('netlink', netlinkFamily(t));
  }
  if (en === 'ioctl') return r('ioctl', ioctlFamily(t));
  if (/superseded by execve|<pid changed to|<unfinished \.\.\.>|resumed>/.test(`${e ?? ''}${a ?? ''}`) ||
      (e != null && a != null && hasPid(e) !== hasPid(a))) {
    return r('threads', en ?? an ?? (se || sa).slice(0, 40));
  }
  if (/^-+ SIG|^--- /.test(se) || /^--- /.test(sa)) return r('signal', (se || sa).replace(/ \{.*/, '').slice(0, 60));
  if (/^\+\+\+ (exited|killed)/.test(se) || /^\+\+\+ (exited|killed)/.test(sa)) return r('exit', (se || sa).slice(0, 60));
  if (/-X(raw|abbrev|verbose)/.test(sub) && twinPasses) return r('xlat', /-X(raw|abbrev|verbose)/.exec(sub)[0]);
  if (en && decoded && !decoded.has(en)) return r('raw', en);
  if (!en || !an || en !== an) return r('lines', en ?? an ?? (se || sa).slice(0, 40));
  if (se.replace(/\s+/g, '') === sa.replace(/\s+/g, '')) return r('format', en);
  const ret = (x) => {
    const i = x.lastIndexOf(') = ');
    return i < 0 ? [x, ''] : [x.slice(0, i), x.slice(i)];
  };
  const [ea, er] = ret(se);
  const [aa, ar] = ret(sa);
  if (ea === aa && er !== ar) return r('retval', en);
  return r('decoder', en);
}
