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
        "native/affinity.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
