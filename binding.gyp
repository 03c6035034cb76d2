{
  "target_defaults": {
    "cflags": ["-include", "<(module_root_dir)/native/glibc-compat.h"]
  },
  "targets": [
    {
      "target_name": "utrace_native",
      "sources": [
        "native/addon.c",
        "native/ptrace_ops.c",
        "native/wait.c",
        "native/mem.c",
        "native/spawn.c",
        "native/sockets.c",
        "native/affinity.c",
        "native/deathlock.c",
        "native/reap.c",
        "native/signals.c",
        "native/daemon.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    },
    {
      "target_name": "utrace-watchdog",
      "type": "executable",
      "sources": ["native/watchdog.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Os"],
      "ldflags": ["-static", "-s"]
    }
  ]
}
