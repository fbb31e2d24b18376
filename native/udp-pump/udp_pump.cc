// udp_pump: many UDP sockets behind one epoll set, read in batches (Linux).
//
// Why this exists: Node's dgram delivers every datagram as its own JavaScript callback with a
// fresh ArrayBuffer, and every send allocates a request object and goes through the DNS-lookup
// path. For a media server that is ~10 µs of CPU per packet, and at 500 calls × 50 packets/s in
// each direction that is most of a core. Here the sockets of one thread (one per RTP/RTCP port)
// sit in one epoll set that libuv watches as a single fd; when it is readable, every ready socket
// is drained with recvmmsg(2) into one arena shared with JavaScript, and JavaScript is called
// once per batch. Sends are a direct sendto(2) on the socket. The addon also gives the media
// thread its scheduling class (setRealtime), which needs a system call Node does not offer.
//
// Arena record layout (little endian, 4-byte aligned):
//   0 u32 socket id (chosen by JavaScript)   4 u32 payload length
//   8 u16 source port                        10 u8 address family (4 or 6)   11 u8 reserved
//  12 16 bytes source address (IPv4 in the first 4, network order)   28 payload, padded to 4

#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <new>
#include <unordered_set>

namespace {

constexpr int kMaxEvents = 256;
constexpr unsigned kBatch = 16;
constexpr size_t kSlot = 2048;  // largest datagram kept; a longer one is dropped (MSG_TRUNC)
constexpr size_t kHeader = 28;
constexpr size_t kMaxRecord = kHeader + kSlot;

struct Pump {
  napi_env env = nullptr;
  int epfd = -1;
  uv_poll_t poll;
  napi_ref callback = nullptr;
  napi_ref arena_ref = nullptr;
  napi_ref resource = nullptr;
  napi_async_context async = nullptr;
  uint8_t* arena = nullptr;
  size_t arena_len = 0;
  bool closed = false;
  // Inside napi_make_callback: a pump destroyed by its own callback keeps its async context until
  // the callback has returned.
  bool delivering = false;
  double truncated = 0;
  double read_errors = 0;
  // The sockets in the set: closed with the pump, so a worker thread that ends (or is
  // terminated) leaves no port bound behind it.
  std::unordered_set<int> fds;
  mmsghdr msgs[kBatch];
  iovec iovs[kBatch];
  sockaddr_storage addrs[kBatch];
  uint8_t scratch[kBatch][kSlot];
};

napi_value Throw(napi_env env, int sys_errno, const char* what) {
  int uverr = uv_translate_sys_error(sys_errno);
  napi_value code, msg, err;
  napi_create_string_utf8(env, uv_err_name(uverr), NAPI_AUTO_LENGTH, &code);
  char text[256];
  snprintf(text, sizeof text, "%s: %s", what, uv_strerror(uverr));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &err);
  napi_value errno_value;
  napi_create_int32(env, uverr, &errno_value);
  napi_set_named_property(env, err, "errno", errno_value);
  napi_throw(env, err);
  return nullptr;
}

napi_value ThrowType(napi_env env, const char* text) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", text);
  return nullptr;
}

bool GetPump(napi_env env, napi_value v, Pump** out) {
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == nullptr) return false;
  *out = static_cast<Pump*>(data);
  return true;
}

bool ParseAddress(const char* text, uint16_t port, sockaddr_storage* out, socklen_t* len) {
  memset(out, 0, sizeof *out);
  if (strchr(text, ':') != nullptr) {
    auto* a = reinterpret_cast<sockaddr_in6*>(out);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (inet_pton(AF_INET6, text, &a->sin6_addr) != 1) return false;
    *len = sizeof *a;
    return true;
  }
  auto* a = reinterpret_cast<sockaddr_in*>(out);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  if (inet_pton(AF_INET, text, &a->sin_addr) != 1) return false;
  *len = sizeof *a;
  return true;
}

void Deliver(Pump* p, uint32_t count, size_t bytes) {
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[2], result;
  napi_get_reference_value(env, p->callback, &cb);
  napi_get_global(env, &recv);  // napi_make_callback needs an object receiver
  napi_create_uint32(env, count, &argv[0]);
  napi_create_uint32(env, static_cast<uint32_t>(bytes), &argv[1]);
  // napi_make_callback runs the microtask queue and process.nextTick callbacks afterwards, like
  // any other I/O callback of Node's.
  p->delivering = true;
  napi_status s = napi_make_callback(env, p->async, recv, cb, 2, argv, &result);
  p->delivering = false;
  if (p->closed && p->async) {
    napi_async_destroy(env, p->async);
    p->async = nullptr;
  }
  if (s == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

// One read round: every socket epoll reports ready is read with one recvmmsg into the arena.
// Returns the number of records; `bytes` gets the arena bytes used. Records are only delivered
// after the round that produced them, so a socket closed (and its fd number reused) by
// JavaScript can never be read under its old id. When the arena cannot take another full
// recvmmsg, the round stops: epoll is level-triggered and reports the rest next time.
uint32_t ReadRound(Pump* p, size_t* bytes) {
  epoll_event events[kMaxEvents];
  size_t off = 0;
  uint32_t count = 0;
  int n = epoll_wait(p->epfd, events, kMaxEvents, 0);
  for (int i = 0; i < n; i++) {
    int fd = static_cast<int>(events[i].data.u64 & 0xffffffffu);
    uint32_t id = static_cast<uint32_t>(events[i].data.u64 >> 32);
    unsigned room = static_cast<unsigned>((p->arena_len - off) / kMaxRecord);
    unsigned vlen = room < kBatch ? room : kBatch;
    if (vlen == 0) break;
    for (unsigned k = 0; k < vlen; k++) {
      p->iovs[k].iov_base = p->scratch[k];
      p->iovs[k].iov_len = kSlot;
      memset(&p->msgs[k].msg_hdr, 0, sizeof(msghdr));
      p->msgs[k].msg_hdr.msg_name = &p->addrs[k];
      p->msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      p->msgs[k].msg_hdr.msg_iov = &p->iovs[k];
      p->msgs[k].msg_hdr.msg_iovlen = 1;
      p->msgs[k].msg_len = 0;
    }
    int got = recvmmsg(fd, p->msgs, vlen, MSG_DONTWAIT, nullptr);
    if (got < 0) {
      // EAGAIN: raced; ECONNREFUSED and friends: an ICMP error queued by an earlier send.
      // Neither is fatal for media; the error is consumed by this read.
      if (errno != EAGAIN && errno != EWOULDBLOCK) p->read_errors++;
      continue;
    }
    for (int k = 0; k < got; k++) {
      const msghdr& h = p->msgs[k].msg_hdr;
      if (h.msg_flags & MSG_TRUNC) {
        p->truncated++;
        continue;
      }
      uint32_t len = p->msgs[k].msg_len;
      uint8_t* rec = p->arena + off;
      memset(rec, 0, kHeader);
      memcpy(rec, &id, 4);
      memcpy(rec + 4, &len, 4);
      const auto* ss = &p->addrs[k];
      if (ss->ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(ss);
        uint16_t port = ntohs(a->sin6_port);
        memcpy(rec + 8, &port, 2);
        rec[10] = 6;
        memcpy(rec + 12, &a->sin6_addr, 16);
      } else {
        const auto* a = reinterpret_cast<const sockaddr_in*>(ss);
        uint16_t port = ntohs(a->sin_port);
        memcpy(rec + 8, &port, 2);
        rec[10] = 4;
        memcpy(rec + 12, &a->sin_addr, 4);
      }
      memcpy(rec + kHeader, p->scratch[k], len);
      off += kHeader + ((len + 3u) & ~3u);
      count++;
    }
  }
  *bytes = off;
  return count;
}

// libuv: the epoll set is readable. Read one round and hand it to JavaScript.
void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  Pump* p = static_cast<Pump*>(handle->data);
  if (p->closed || status < 0) return;
  size_t bytes = 0;
  uint32_t count = ReadRound(p, &bytes);
  if (count > 0) Deliver(p, count, bytes);
}

void OnPollClosed(uv_handle_t* handle) {
  Pump* p = static_cast<Pump*>(handle->data);
  delete p;
}

void Shutdown(Pump* p) {
  if (p->closed) return;
  p->closed = true;
  uv_poll_stop(&p->poll);
  if (p->callback) napi_delete_reference(p->env, p->callback);
  if (p->arena_ref) napi_delete_reference(p->env, p->arena_ref);
  if (p->async && !p->delivering) {
    napi_async_destroy(p->env, p->async);
    p->async = nullptr;
  }
  if (p->resource) napi_delete_reference(p->env, p->resource);
  p->callback = p->arena_ref = p->resource = nullptr;
  p->arena = nullptr;
  p->arena_len = 0;
  for (int fd : p->fds) close(fd);
  p->fds.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&p->poll), OnPollClosed);
  close(p->epfd);
  p->epfd = -1;
}

void CleanupHook(void* arg) { Shutdown(static_cast<Pump*>(arg)); }

// createPump(arena: ArrayBuffer, onBatch: (count, bytes) => void): External
napi_value CreatePump(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 2) return ThrowType(env, "createPump(arena, onBatch)");
  bool is_ab = false;
  napi_is_arraybuffer(env, argv[0], &is_ab);
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (!is_ab || t != napi_function) return ThrowType(env, "createPump(arena: ArrayBuffer, onBatch: function)");
  void* data = nullptr;
  size_t len = 0;
  napi_get_arraybuffer_info(env, argv[0], &data, &len);
  if (len < kMaxRecord * kBatch) return ThrowType(env, "arena too small");

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return Throw(env, EINVAL, "event loop");
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return Throw(env, errno, "epoll_create1");

  Pump* p = new (std::nothrow) Pump();
  if (!p) {
    close(epfd);
    return Throw(env, ENOMEM, "createPump");
  }
  p->env = env;
  p->epfd = epfd;
  p->arena = static_cast<uint8_t*>(data);
  p->arena_len = len;
  int r = uv_poll_init(loop, &p->poll, epfd);
  if (r != 0) {
    close(epfd);
    delete p;
    return Throw(env, EINVAL, "uv_poll_init");
  }
  p->poll.data = p;
  napi_create_reference(env, argv[0], 1, &p->arena_ref);
  napi_create_reference(env, argv[1], 1, &p->callback);
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &p->resource);
  napi_create_string_utf8(env, "UdpPump", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &p->async);
  uv_poll_start(&p->poll, UV_READABLE, OnReadable);
  napi_add_env_cleanup_hook(env, CleanupHook, p);

  napi_value ext;
  napi_create_external(env, p, nullptr, nullptr, &ext);
  return ext;
}

// destroyPump(pump): stops reading and closes the sockets still open.
napi_value DestroyPump(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Pump* p;
  if (argc < 1 || !GetPump(env, argv[0], &p)) return ThrowType(env, "destroyPump(pump)");
  if (!p->closed) {
    napi_remove_env_cleanup_hook(env, CleanupHook, p);
    Shutdown(p);
  }
  return nullptr;
}

// openSocket(pump, id: number, address: string, port: number, recvBufferBytes: number):
//   [fd, boundPort]. Throws an Error whose code is libuv's name (EADDRINUSE, EACCES …).
napi_value OpenSocket(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Pump* p;
  if (argc < 5 || !GetPump(env, argv[0], &p)) return ThrowType(env, "openSocket(pump, id, address, port, recvBuffer)");
  if (p->closed) return Throw(env, EBADF, "pump closed");
  uint32_t id = 0, port = 0, rcvbuf = 0;
  char address[64];
  size_t alen = 0;
  if (napi_get_value_uint32(env, argv[1], &id) != napi_ok ||
      napi_get_value_string_utf8(env, argv[2], address, sizeof address, &alen) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &port) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &rcvbuf) != napi_ok || port > 65535) {
    return ThrowType(env, "openSocket(pump, id: uint32, address: string, port: 0..65535, recvBuffer: uint32)");
  }
  sockaddr_storage ss;
  socklen_t sslen;
  if (!ParseAddress(address, static_cast<uint16_t>(port), &ss, &sslen)) return Throw(env, EINVAL, "bad address");
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Throw(env, errno, "socket");
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  // No SO_REUSEADDR: like dgram's `exclusive: true`, a port in use is an error (EADDRINUSE).
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), sslen) != 0) {
    int e = errno;
    close(fd);
    return Throw(env, e, "bind");
  }
  sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  uint16_t bound_port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                                     : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  epoll_event ev;
  ev.events = EPOLLIN;
  ev.data.u64 = (static_cast<uint64_t>(id) << 32) | static_cast<uint32_t>(fd);
  if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int e = errno;
    close(fd);
    return Throw(env, e, "epoll_ctl");
  }
  p->fds.insert(fd);
  napi_value out, v;
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, fd, &v);
  napi_set_element(env, out, 0, v);
  napi_create_uint32(env, bound_port, &v);
  napi_set_element(env, out, 1, v);
  return out;
}

// closeSocket(pump, fd)
napi_value CloseSocket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Pump* p;
  int32_t fd = -1;
  if (argc < 2 || !GetPump(env, argv[0], &p) || napi_get_value_int32(env, argv[1], &fd) != napi_ok) {
    return ThrowType(env, "closeSocket(pump, fd)");
  }
  // Only a socket of this pump: an fd closed with the pump may have been reused since.
  if (p->closed || p->fds.erase(fd) == 0) return nullptr;
  epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  return nullptr;
}

// send(fd, data: Uint8Array, port, address): 0, or the libuv error code (negative) of sendto.
// A datagram that cannot be sent (full buffer, ICMP error pending) is dropped, as UDP does.
napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t fd = -1;
  uint32_t port = 0;
  char address[64];
  size_t alen = 0;
  napi_typedarray_type type;
  size_t length = 0, byte_offset = 0;
  void* data = nullptr;
  napi_value ab;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, &ab, &byte_offset) != napi_ok ||
      type != napi_uint8_array || napi_get_value_uint32(env, argv[2], &port) != napi_ok || port > 65535 ||
      napi_get_value_string_utf8(env, argv[3], address, sizeof address, &alen) != napi_ok) {
    return ThrowType(env, "send(fd, data: Uint8Array, port, address)");
  }
  sockaddr_storage ss;
  socklen_t sslen;
  int result = 0;
  if (!ParseAddress(address, static_cast<uint16_t>(port), &ss, &sslen)) {
    result = UV_EINVAL;
  } else if (sendto(fd, data, length, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), sslen) < 0) {
    result = uv_translate_sys_error(errno);
  }
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

// setRealtime(priority): moves the calling thread (a media worker) to SCHED_RR at `priority`
// (1–99) — what media servers do for their audio threads (Asterisk -p, FreeSWITCH -rp). A nice
// value only weights CFS's share: a thread woken at its tick deadline still waits for the running
// thread's slice, and on a busy machine that is 10–20 ms. An RT thread runs when it wakes. The
// kernel's RT throttling (sched_rt_runtime_us, 95 % by default) bounds a thread that would spin.
// SCHED_RESET_ON_FORK: nothing the thread starts inherits the class. Returns 0 or the libuv error
// code (UV_EPERM without CAP_SYS_NICE). Linux: sched_setscheduler(0) is the calling thread.
napi_value SetRealtime(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t priority = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &priority) != napi_ok || priority < 1 || priority > 99) {
    return ThrowType(env, "setRealtime(priority: 1..99)");
  }
  sched_param sp{};
  sp.sched_priority = priority;
  int result = sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &sp) == 0 ? 0 : uv_translate_sys_error(errno);
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

// drain(pump): reads one round now, synchronously, into the arena and returns the number of
// records (JavaScript dispatches them itself). For a media clock catching up after a stall: it
// reads what arrived before running the next overdue tick, without going back to the event loop.
napi_value Drain(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Pump* p;
  if (argc < 1 || !GetPump(env, argv[0], &p)) return ThrowType(env, "drain(pump)");
  size_t bytes = 0;
  uint32_t count = p->closed ? 0 : ReadRound(p, &bytes);
  napi_value out;
  napi_create_uint32(env, count, &out);
  return out;
}

// counters(pump): [truncated, readErrors]
napi_value Counters(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Pump* p;
  if (argc < 1 || !GetPump(env, argv[0], &p)) return ThrowType(env, "counters(pump)");
  napi_value out, v;
  napi_create_array_with_length(env, 2, &out);
  napi_create_double(env, p->truncated, &v);
  napi_set_element(env, out, 0, v);
  napi_create_double(env, p->read_errors, &v);
  napi_set_element(env, out, 1, v);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"createPump", nullptr, CreatePump, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"destroyPump", nullptr, DestroyPump, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"openSocket", nullptr, OpenSocket, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"closeSocket", nullptr, CloseSocket, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"send", nullptr, Send, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"counters", nullptr, Counters, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"drain", nullptr, Drain, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setRealtime", nullptr, SetRealtime, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
