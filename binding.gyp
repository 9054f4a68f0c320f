{
  "variables": {
    # The ssh-socketpair-stderr build feature: `npm install --ssh-socketpair-stderr` reaches us
    # as npm_config_ssh_socketpair_stderr; scripts/build-native.mjs passes it as -D instead.
    "ssh_socketpair_stderr%": "<!(node -p \"/^(1|true|yes|on)$/i.test(process.env.npm_config_ssh_socketpair_stderr || '') ? 1 : 0\")",
    # The portable POSIX calls (pipe + fcntl instead of pipe2, no pipe resize) where the system
    # has the better ones too: how that branch is built and tested on Linux.
    "portable_posix%": 0
  },
  "targets": [
    {
      "target_name": "rsh_transport",
      "sources": ["native/addon.cc", "native/endpoint.cc", "native/errors.cc", "native/process.cc", "native/pump.cc"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_ENABLE_MAYBE"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["ssh_socketpair_stderr==1", { "defines": ["RSH_SSH_SOCKETPAIR_STDERR=1"] }],
        ["portable_posix==1", { "defines": ["RSH_PORTABLE_POSIX=1"] }]
      ]
    }
  ]
}
