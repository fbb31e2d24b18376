{
  "targets": [
    {
      "target_name": "udp_pump",
      "sources": ["udp_pump.cc"],
      "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [["OS!='linux'", { "type": "none" }]]
    }
  ]
}
