//! TCP echo on tokio: the tokio peer of the echo benchmark. Every byte read
//! is written back.
//!
//! Usage: `tokio_echo [ADDR]` (default `127.0.0.1:5011`).
//!
//! The runtime is current_thread, unless `TOKIO_RT=multi`: then the
//! multi_thread runtime with one worker, a process of several threads like
//! greenline's. The kernel takes and drops a reference on the socket's file
//! in every system call of a process whose threads share the descriptor
//! table, and skips both in a single-threaded one (see BENCHMARKS.md).
//! `TOKIO_IDLE_THREAD=1` shows that alone: current_thread as usual, plus
//! one thread that only sleeps.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5011".into());
    if std::env::var_os("TOKIO_IDLE_THREAD").is_some() {
        // Never woken: it exists only to make the process multi-threaded.
        std::thread::spawn(|| loop {
            std::thread::park();
        });
    }
    let rt = match std::env::var("TOKIO_RT").as_deref() {
        Ok("multi") => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?,
        Ok("current") | Err(_) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        Ok(other) => {
            return Err(std::io::Error::other(format!(
                "TOKIO_RT is current or multi, not {other:?}"
            )))
        }
    };
    rt.block_on(async move {
        let listener = TcpListener::bind(&addr).await?;
        eprintln!("tokio_echo: serving on {}", listener.local_addr()?);
        loop {
            let (mut stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    if stream.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    })
}
