//! gevent's `examples/concurrent_download.py`: a greenlet per URL downloads
//! it, printing `Starting URL` and then the body's length and first 50
//! characters; the program waits for all of them. A line-for-line port of
//! `compat/concurrent_download.py`.
//!
//! Run:   cargo run --example concurrent_download [-- URL...]
//!        (default: the original's three https URLs, which fail until
//!        greenline has TLS; give http:// URLs)
//! Talk:  cargo run --example http_hello &   # then, in another shell:
//!        cargo run --example concurrent_download -- http://127.0.0.1:8080/ http://127.0.0.1:8080/x
//!
//! A download that fails prints its error on stderr, as gevent prints a
//! greenlet's exception, and the others go on.

use greenline::http::client;

// The original's URLs, used when none are given.
const URLS: [&str; 3] = [
    "https://www.google.com/",
    "https://www.apple.com/",
    "https://www.python.org/",
];

fn print_head(url: &str) -> Result<(), client::Error> {
    println!("Starting {url}");
    let data = client::get(url).call()?.body_mut().read_to_string()?;
    let head: String = data.chars().take(50).collect();
    println!("{url}: {} bytes: {head:?}", data.len());
    Ok(())
}

fn main() {
    let mut urls: Vec<String> = std::env::args().skip(1).collect();
    if urls.is_empty() {
        urls = URLS.map(String::from).to_vec();
    }
    let jobs: Vec<_> = urls
        .into_iter()
        .map(|u| greenline::spawn(move || print_head(&u).inspect_err(|e| eprintln!("{u}: {e}"))))
        .collect();
    greenline::joinall(&jobs, None);
}
