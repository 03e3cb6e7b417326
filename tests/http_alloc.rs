//! Heap allocations per request on the hot path (pipelined keep-alive GETs,
//! a small bytes response, access log off), counted with a global
//! allocator. A count, not a timing: it is deterministic, so it is a test.
//!
//! Today: none per request. The read and write buffers are reused, the
//! header scratch is on the stack, the head's field index is reused from
//! the connection's previous request, `Response::text`'s `Content-Type`
//! is a constant (a handler's own fields allocate one buffer), lengths are
//! formatted without `fmt`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use greenline::http::{AccessLog, HttpServer, Request, Response, ServerConfig};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards its arguments unchanged to the system
// allocator, which upholds the GlobalAlloc contract; counting has no effect
// on the memory returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn batch(c: &mut std::net::TcpStream, n: usize) {
    let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(n);
    c.write_all(&req).unwrap();
    let mut got = 0;
    let mut buf = vec![0; 64 * 1024];
    let one = 149; // bytes per response
    while got < n * one {
        got += c.read(&mut buf).unwrap();
    }
}

#[test]
fn allocations_per_pipelined_request() {
    let config = ServerConfig::new().access_log(AccessLog::Off);
    let server = HttpServer::bind_with("127.0.0.1:0", config, |_: &mut Request| {
        Response::text(200, "Hello, World!")
    })
    .unwrap();
    server.start().unwrap();
    let mut c = std::net::TcpStream::connect(server.local_addr()).unwrap();
    batch(&mut c, 16);
    let n = 256;
    let before = ALLOCS.load(Ordering::Relaxed);
    batch(&mut c, n);
    let per = (ALLOCS.load(Ordering::Relaxed) - before) as f64 / n as f64;
    eprintln!("allocations per request: {per:.2}");
    assert!(per < 0.5, "{per:.2} allocations per request, expected 0");
}
