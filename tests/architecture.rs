//! Keeps the shape ARCHITECTURE.md describes: reads `src/` and fails on an
//! import cycle between top-level modules (but the runtime kernel's one),
//! on a cycle between the files of one module (but those named below), on
//! `unsafe` code outside `src/sys`, and on the sans-I/O codecs importing
//! what does I/O.
//!
//! Imports are read from the source text: every `crate::`, `super::` and
//! `self::` path (in `use` lines and in code), resolved to the file that
//! defines it. A module's `mod.rs` re-exporting a child's item (`pub use`)
//! is its front door, not a dependency: a path through it resolves to the
//! child.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The runtime kernel: one room in ARCHITECTURE.md. A wait marks the
/// current greenlet (time and sync call greenlet), and a greenlet's header
/// holds a wait queue (greenlet calls sync); the monitor and the
/// configuration are read by both.
const KERNEL: &[&str] = &["config", "greenlet", "monitor", "sync", "time"];

/// File cycles inside one module that are part of its design.
const ALLOWED_FILE_CYCLES: &[&[&str]] = &[
    // A context makes sockets; a socket keeps its context (inproc names).
    &["zmq::context", "zmq::socket"],
];

struct Crate {
    root: PathBuf,
    /// Module path (`zmq::pattern::req_rep`) → source text without
    /// comments and string contents.
    files: BTreeMap<String, String>,
}

impl Crate {
    fn load() -> Crate {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = BTreeMap::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let rel = path.strip_prefix(&root).unwrap().with_extension("");
                    let mut parts: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                        parts.pop();
                    }
                    let text = std::fs::read_to_string(&path).unwrap();
                    files.insert(parts.join("::"), without_test_modules(&strip(&text)));
                }
            }
        }
        Crate { root, files }
    }

    /// The item names a `mod.rs` re-exports, and the child each comes from.
    fn reexports(&self, module: &str) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        let Some(text) = self.files.get(module) else {
            return map;
        };
        for stmt in statements(text) {
            let rest = stmt
                .strip_prefix("pub use ")
                .or_else(|| stmt.strip_prefix("pub(crate) use "));
            let Some(rest) = rest else { continue };
            for path in expand(rest.trim_end_matches(';')) {
                let path = path.strip_prefix("self::").unwrap_or(&path);
                let mut segs: Vec<&str> = path.split("::").collect();
                let name = segs.pop().unwrap_or_default();
                let name = name.rsplit(" as ").next().unwrap_or(name).trim();
                if let Some(first) = segs.first() {
                    let child = join(module, first);
                    if self.files.contains_key(&child) {
                        map.insert(name.to_string(), child);
                    }
                }
            }
        }
        map
    }

    /// The file a path from `from` names, or `None` outside the crate.
    fn resolve(&self, from: &str, path: &str) -> Option<String> {
        let mut segs: Vec<&str> = path.split("::").map(str::trim).collect();
        let mut base: Vec<String> = match segs[0] {
            "crate" => Vec::new(),
            "super" | "self" => {
                let mut b: Vec<String> = split(from);
                // A file's own module is `self`; `super` is its parent.
                while segs.first() == Some(&"super") {
                    b.pop();
                    segs.remove(0);
                }
                if segs.first() == Some(&"self") {
                    segs.remove(0);
                }
                b
            }
            _ => return None,
        };
        if segs.first() == Some(&"crate") {
            segs.remove(0);
        }
        for seg in segs {
            let next = if base.is_empty() {
                seg.to_string()
            } else {
                format!("{}::{seg}", base.join("::"))
            };
            if self.files.contains_key(&next) {
                base = split(&next);
                continue;
            }
            // An item of `base`: through its front door if re-exported.
            let module = base.join("::");
            if let Some(child) = self.reexports(&module).get(seg) {
                return Some(child.clone());
            }
            break;
        }
        let module = base.join("::");
        (!module.is_empty()).then_some(module)
    }

    /// Whether `module` has child modules (its file is a `mod.rs`).
    fn has_children(&self, module: &str) -> bool {
        let prefix = format!("{module}::");
        module.is_empty() || self.files.keys().any(|k| k.starts_with(&prefix))
    }

    /// File → files it imports.
    fn graph(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut graph = BTreeMap::new();
        for (module, text) in &self.files {
            let mut deps = BTreeSet::new();
            for path in paths(text, self.has_children(module)) {
                if let Some(to) = self.resolve(module, &path) {
                    if &to != module && !is_ancestor_front_door(&to, module, self, &path) {
                        deps.insert(to);
                    }
                }
            }
            graph.insert(module.clone(), deps);
        }
        graph
    }
}

/// A path that ends at a parent `mod.rs` only because it names a child
/// module of it (`super::tcp`) is not a dependency on the parent.
fn is_ancestor_front_door(to: &str, from: &str, _krate: &Crate, _path: &str) -> bool {
    from.starts_with(&format!("{to}::")) && to.is_empty()
}

fn split(module: &str) -> Vec<String> {
    if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").map(String::from).collect()
    }
}

fn join(module: &str, child: &str) -> String {
    if module.is_empty() {
        child.to_string()
    } else {
        format!("{module}::{child}")
    }
}

/// The source without comments and with string and char contents blanked.
fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i += 2;
            while i < b.len() && !b[i..].starts_with(b"*/") {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') {
            // A char literal (not a lifetime).
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// `use` statements and other items, split at semicolons and braces of
/// top level: enough to find `pub use` lines.
fn statements(text: &str) -> Vec<String> {
    text.split(';')
        .map(|s| {
            let s = s.trim();
            let start = s.rfind(['}', '{']).map_or(0, |i| {
                // Keep a `use` group's braces: back up to the `use`.
                s[..i]
                    .rfind("use ")
                    .map_or(i + 1, |u| s[..u].rfind(['\n']).map_or(0, |n| n + 1))
            });
            s[start..].trim().to_string()
        })
        .collect()
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into paths.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(open) = tree.find('{') else {
        return vec![tree.trim().to_string()];
    };
    let prefix = tree[..open].trim();
    let close = tree.rfind('}').unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(inner[start..i].to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(inner[start..].to_string());
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .flat_map(|p| {
            expand(&p)
                .into_iter()
                .map(|q| format!("{prefix}{q}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The text without `#[cfg(test)]` inline modules: their `super` is the
/// file itself, and tests may reach anything.
fn without_test_modules(text: &str) -> String {
    let mut out = text.to_string();
    while let Some(at) = out.find("#[cfg(test)]") {
        let after = &out[at..];
        let Some(open) = after.find('{') else { break };
        let head = &after[..open];
        if !head.contains("mod ") || head.contains(';') {
            // `#[cfg(test)] mod x;` (its own file) or a gated item.
            out.replace_range(at..at + "#[cfg(test)]".len(), "");
            continue;
        }
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.replace_range(at..at + end, "");
    }
    out
}

/// Every `crate::`/`super::`/`self::` path in the text: `use` trees
/// expanded, and paths written in code. A module with children re-exports
/// with `pub use`: those are its front door, not dependencies.
fn paths(text: &str, front_door: bool) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        let at_word_start = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        if at_word_start && rest.starts_with("use ") {
            let end = rest.find(';').unwrap_or(rest.len());
            let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
            let reexport = text[line_start..i].trim_start().starts_with("pub");
            if !(front_door && reexport) {
                for p in expand(&rest[4..end]) {
                    out.push(p.split(" as ").next().unwrap().to_string());
                }
            }
            i += end;
            continue;
        }
        if at_word_start
            && (rest.starts_with("crate::")
                || rest.starts_with("super::")
                || rest.starts_with("self::"))
        {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            out.push(rest[..end].trim_end_matches(':').to_string());
            i += end;
            continue;
        }
        i += 1;
    }
    out
}

/// Strongly connected components of more than one node.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    // Reachability closure: small graphs, so the simple way.
    let nodes: Vec<&String> = graph.keys().collect();
    let reach = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            for m in graph.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    for n in &nodes {
        let scc: BTreeSet<String> = nodes
            .iter()
            .filter(|m| reaches[*n].contains(**m) && reaches[*m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        if scc.len() > 1 && !out.contains(&scc) {
            out.push(scc);
        }
    }
    out
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

#[test]
fn top_level_modules_import_each_other_without_cycles_but_the_kernel() {
    let krate = Crate::load();
    let files = krate.graph();
    let mut rooms: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, deps) in &files {
        if from.is_empty() {
            continue; // lib.rs: the crate's front door
        }
        let entry = rooms.entry(top(from).to_string()).or_default();
        for to in deps {
            if !to.is_empty() && top(to) != top(from) {
                entry.insert(top(to).to_string());
            }
        }
    }
    let kernel: BTreeSet<String> = KERNEL.iter().map(|s| s.to_string()).collect();
    let bad: Vec<_> = cycles(&rooms)
        .into_iter()
        .filter(|scc| !scc.is_subset(&kernel))
        .collect();
    let edges = |scc: &BTreeSet<String>| -> Vec<String> {
        let mut v = Vec::new();
        for (from, deps) in &files {
            for to in deps {
                if from != to
                    && scc.contains(top(from))
                    && scc.contains(top(to))
                    && top(from) != top(to)
                {
                    v.push(format!("{from} -> {to}"));
                }
            }
        }
        v
    };
    assert!(
        bad.is_empty(),
        "import cycles between top-level modules (outside the kernel {KERNEL:?}):\n{}",
        bad.iter()
            .map(|scc| format!("{scc:?}:\n  {}", edges(scc).join("\n  ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn files_of_a_module_import_each_other_without_cycles() {
    let krate = Crate::load();
    let files = krate.graph();
    let mut bad = Vec::new();
    let tops: BTreeSet<&str> = files
        .keys()
        .map(|f| top(f))
        .filter(|t| !t.is_empty())
        .collect();
    for room in tops {
        if KERNEL.contains(&room) {
            // Checked as one room above; its files form the kernel.
            continue;
        }
        let inner: BTreeMap<String, BTreeSet<String>> = files
            .iter()
            .filter(|(f, _)| top(f) == room)
            .map(|(f, deps)| {
                let deps = deps.iter().filter(|t| top(t) == room).cloned().collect();
                (f.clone(), deps)
            })
            .collect();
        for scc in cycles(&inner) {
            let allowed = ALLOWED_FILE_CYCLES
                .iter()
                .any(|a| scc.iter().all(|m| a.contains(&m.as_str())) && scc.len() == a.len());
            if !allowed {
                let edges: Vec<String> = scc
                    .iter()
                    .flat_map(|f| {
                        inner[f]
                            .iter()
                            .filter(|t| scc.contains(*t))
                            .map(move |t| format!("{f} -> {t}"))
                    })
                    .collect();
                bad.push(format!("{scc:?}:\n  {}", edges.join("\n  ")));
            }
        }
    }
    assert!(bad.is_empty(), "file import cycles:\n{}", bad.join("\n"));
}

#[test]
fn unsafe_code_is_only_in_sys() {
    let krate = Crate::load();
    let mut found = Vec::new();
    for (module, text) in &krate.files {
        if top(module) == "sys" {
            continue;
        }
        for pat in [
            "unsafe {",
            "unsafe fn",
            "unsafe impl",
            "unsafe extern",
            "unsafe trait",
        ] {
            if text.contains(pat) {
                found.push(format!("{module}: `{pat}`"));
            }
        }
    }
    assert!(found.is_empty(), "unsafe code outside src/sys: {found:?}");
    // sys itself imports nothing of the crate.
    let sys: Vec<_> = krate
        .files
        .iter()
        .filter(|(m, t)| top(m) == "sys" && t.contains("crate::"))
        .map(|(m, _)| m.clone())
        .collect();
    assert!(sys.is_empty(), "src/sys imports the crate: {sys:?}");
    let _ = &krate.root;
}

#[test]
fn the_codecs_import_nothing_that_does_io() {
    let krate = Crate::load();
    let mut found = Vec::new();
    for (module, text) in &krate.files {
        let forbidden: &[&str] = if module.starts_with("zmq::codec") {
            &[
                "may::",
                "std::net",
                "std::thread",
                "crate::net",
                "crate::sync",
            ]
        } else if module.starts_with("http::proto") {
            &[
                "may::",
                "std::net",
                "std::thread",
                "crate::net",
                "crate::server",
                "crate::sync",
                "crate::greenlet",
                "crate::time",
            ]
        } else {
            continue;
        };
        for pat in forbidden {
            if text.contains(pat) {
                found.push(format!("{module} uses {pat}"));
            }
        }
    }
    assert!(found.is_empty(), "codecs doing I/O: {found:?}");
}
