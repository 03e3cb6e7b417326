//! StreamServer backs off when accept fails with EMFILE instead of spinning,
//! and serves again once descriptors are free. (Its own test binary: it
//! lowers this process's open-file limit.)

use std::io::{Read, Write};
use std::net::TcpStream as StdStream;
use std::time::{Duration, Instant};

use greenline::net::TcpStream;
use greenline::server::StreamServer;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// User + system CPU time of this process, read through a file opened
/// before the descriptors run out.
fn cpu_time(stat_file: &std::fs::File) -> Duration {
    use std::os::unix::fs::FileExt;
    let mut buf = [0u8; 1024];
    let n = stat_file.read_at(&mut buf, 0).unwrap();
    let stat = String::from_utf8_lossy(&buf[..n]).into_owned();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

fn echo(mut s: TcpStream, _peer: std::net::SocketAddr) {
    let mut buf = [0u8; 64];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 || s.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

fn round_trip(c: &mut StdStream) -> std::io::Result<()> {
    c.write_all(b"ping")?;
    let mut buf = [0u8; 4];
    c.read_exact(&mut buf)?;
    assert_eq!(&buf, b"ping");
    Ok(())
}

#[test]
fn emfile_backs_off_then_serves_again() {
    let stat_file = std::fs::File::open("/proc/self/stat").unwrap();
    let server = StreamServer::bind("127.0.0.1:0", echo).unwrap();
    server.start().unwrap();
    let addr = server.local_addr();
    // Room for ~16 more descriptors in this whole process.
    let limit = (open_fds() + 16) as libc::rlim_t;
    let rl = libc::rlimit {
        rlim_cur: limit,
        rlim_max: limit,
    };
    // SAFETY: setrlimit reads the struct we pass; no memory is shared.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) }, 0);

    // Connect until this process runs out of descriptors: by then the
    // server's accept fails with EMFILE for the connections queued behind.
    let mut clients = Vec::new();
    loop {
        match StdStream::connect(addr) {
            Ok(c) => {
                c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                clients.push(c)
            }
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
                break;
            }
        }
        assert!(clients.len() < 64, "never ran out of descriptors");
    }
    assert!(clients.len() >= 4);

    // While accept keeps failing, the server must not spin.
    let (t0, c0) = (Instant::now(), cpu_time(&stat_file));
    std::thread::sleep(Duration::from_millis(600));
    let used = cpu_time(&stat_file) - c0;
    let wall = t0.elapsed();
    assert!(
        used < wall / 4,
        "accept loop spun: {used:?} of CPU in {wall:?}"
    );

    // Free descriptors: the server accepts what is queued and serves it.
    let mut kept = clients.split_off(clients.len() - 2);
    drop(clients);
    for c in &mut kept {
        round_trip(c).expect("a queued connection is served after the backoff");
    }
    let mut fresh = StdStream::connect(addr).unwrap();
    fresh
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    round_trip(&mut fresh).unwrap();
    server.stop(Duration::from_secs(1));
}
