//! Writing to a connection the peer has closed is an error, never a
//! `SIGPIPE`, even in a program that has the signal's default action (which
//! ends the process). Rust programs ignore `SIGPIPE` by default; a library
//! cannot count on it, so these tests restore the default first. They are
//! alone in this test binary, so nothing else runs under that default.

use std::io::{ErrorKind, IoSlice, Write};
use std::time::Duration;

use greenline::net::{TcpListener, TcpStream};

/// How the writing side connects.
#[derive(Clone, Copy)]
enum Connect {
    Plain,
    /// `connect_timeout`: may set a timer while connecting, so the stream
    /// takes may's own operations for good.
    WithTimeout,
}

/// Writes (vectored or not) to connections whose peer closed, the socket
/// given `write_timeout` first; returns each write error's kind.
fn write_to_closed_peers(connect: Connect, write_timeout: Option<Duration>) -> Vec<ErrorKind> {
    // SAFETY: setting a signal's disposition to its default has no
    // preconditions.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    greenline::testing::run(Duration::from_secs(10), move || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut kinds = Vec::new();
        for vectored in [false, true] {
            let mut client = match connect {
                Connect::Plain => TcpStream::connect(addr).unwrap(),
                Connect::WithTimeout => {
                    TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap()
                }
            };
            client.set_write_timeout(write_timeout).unwrap();
            let (server, _) = listener.accept().unwrap();
            drop(server);
            // The first write may be taken before the reset arrives; the
            // ones after it fail.
            let err = (0..100)
                .find_map(|_| {
                    let chunk = [7u8; 1024];
                    let r = if vectored {
                        client.write_vectored(&[IoSlice::new(&chunk), IoSlice::new(&chunk)])
                    } else {
                        client.write(&chunk)
                    };
                    greenline::sleep(Duration::from_millis(1)).unwrap();
                    r.err()
                })
                .expect("writes to a closed peer kept succeeding");
            kinds.push(err.kind());
        }
        kinds
    })
}

fn assert_closed(kinds: &[ErrorKind]) {
    assert_eq!(kinds.len(), 2);
    for kind in kinds {
        assert!(
            matches!(kind, ErrorKind::BrokenPipe | ErrorKind::ConnectionReset),
            "{kind:?}"
        );
    }
}

#[test]
fn writing_to_a_closed_peer_is_an_error_not_a_signal() {
    assert_closed(&write_to_closed_peers(Connect::Plain, None));
}

/// A timed socket's timeouts are kept by greenline's alarm thread, so its
/// writes take the same system calls as an untimed one's.
#[test]
fn a_timed_write_to_a_closed_peer_is_an_error_not_a_signal() {
    assert_closed(&write_to_closed_peers(
        Connect::Plain,
        Some(Duration::from_secs(5)),
    ));
}

/// A stream whose connect had a timeout takes may's operations: its writes
/// still go out with `MSG_NOSIGNAL` first.
#[test]
fn a_write_after_a_timed_connect_is_an_error_not_a_signal() {
    assert_closed(&write_to_closed_peers(Connect::WithTimeout, None));
    assert_closed(&write_to_closed_peers(
        Connect::WithTimeout,
        Some(Duration::from_secs(5)),
    ));
}

/// A pipe has no `MSG_NOSIGNAL`: a write to a child's stdin blocks the
/// signal for the call and takes the one it raised.
#[test]
fn writing_to_a_child_that_closed_its_stdin_is_an_error_not_a_signal() {
    use greenline::subprocess::Popen;
    use std::process::{Command, Stdio};

    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let kind = greenline::testing::run(Duration::from_secs(10), || {
        let mut child = Popen::spawn(Command::new("true").stdin(Stdio::piped())).unwrap();
        // Exited: the pipe's reading end is closed.
        assert!(child.wait().unwrap().success());
        let mut stdin = child.stdin.take().unwrap();
        // More than a pipe holds, in case a fork elsewhere in the process
        // briefly holds a copy of the reading end.
        stdin.write_all(&[0; 1 << 20]).unwrap_err().kind()
    });
    assert_eq!(kind, ErrorKind::BrokenPipe);
}
