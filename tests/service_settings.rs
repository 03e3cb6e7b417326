//! greenline::service::settings: declared settings read from layers
//! (defaults < file < environment < -X < flags), each value's origin, the
//! error messages, the template, reload and diff.
//!
//! Every test passes its environment in as a list (`Sources::env_vars`),
//! but one, which sets process variables under a prefix of its own, so no
//! two tests race on the process's environment.
#![cfg(feature = "service")]

use std::path::{Path, PathBuf};

use greenline::service::settings::{
    diff, serde, template, toml, LoadError, Origin, SettingError, Settings, Sources,
};

greenline::settings! {
    /// The talk's example application's settings (example.conf.py).
    #[derive(Debug, Clone, PartialEq)]
    pub struct Example {
        /// Where `greenline start` writes the pid.
        pub pidfile: String = "example.pid".into(),
        /// Where a daemon's output goes.
        pub logfile: String = "example.log".into(),
        /// The HTTP server's port.
        pub http_port: u16 = 8080,
        /// The TCP server's port.
        pub tcp_port: u16 = 1234,
        /// The address the TCP client connects to.
        pub connect_address: String = "127.0.0.1:1234".into(),
    }
}

/// A nested table, through greenline's serde re-export.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(crate = "greenline::service::settings::serde")]
pub struct Backend {
    host: String,
    port: u16,
}

greenline::settings! {
    /// Settings of every kind of type.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Kinds {
        /// An optional user.
        ///
        /// Unset means "do not drop privileges".
        pub user: Option<String> = None,
        /// A list of ports.
        pub ports: Vec<u16> = vec![80, 443],
        /// A switch.
        pub verbose: bool = false,
        /// A ratio.
        pub ratio: f64 = 0.5,
        /// A table.
        pub backend: Backend = Backend { host: "localhost".into(), port: 5432 },
        /// A path.
        pub root: PathBuf = PathBuf::from("/srv"),
    }
}

greenline::settings! {
    /// What a command reads for itself, beside an application's settings.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Runner {
        /// The pidfile.
        pub pidfile: String = "greenline.pid".into(),
        /// Seconds a stop waits.
        pub stop_timeout: f64 = 1.0,
    }
}

/// The example.toml the talk's example reads.
fn example_toml() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/example.toml")
}

/// A file of this test's own under the temporary directory.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("greenline-settings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Sources with an empty environment.
fn clean() -> Sources {
    Sources::new().env_vars(Vec::<(String, String)>::new())
}

fn load_err<T: Settings + std::fmt::Debug>(sources: Sources) -> LoadError {
    sources.load::<T>().expect_err("the load should fail")
}

#[test]
fn defaults_alone() {
    let loaded = clean().load::<Example>().unwrap();
    assert_eq!(*loaded.settings(), Example::default());
    assert_eq!(loaded.http_port, 8080);
    assert!(loaded.entries().iter().all(|e| e.origin == Origin::Default));
    assert_eq!(loaded.entries().len(), 5);
}

#[test]
fn the_talks_file_loads_with_lines() {
    let path = example_toml();
    let loaded = clean().file(&path).load::<Example>().unwrap();
    assert_eq!(
        *loaded.settings(),
        Example {
            pidfile: "example.pid".into(),
            logfile: "example.log".into(),
            http_port: 8080,
            tcp_port: 1234,
            connect_address: "127.0.0.1:1234".into(),
        }
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("http_port"))
        .unwrap()
        + 1;
    assert_eq!(
        loaded.origin("http_port"),
        Some(&Origin::File {
            path: path.clone(),
            line
        })
    );
    assert_eq!(
        loaded.origin("tcp_port").unwrap().to_string(),
        format!("{}:{}", path.display(), line + 1)
    );
}

#[test]
fn each_layer_wins_over_the_one_before() {
    let file = temp_file(
        "layers.toml",
        "http_port = 1\ntcp_port = 1\nlogfile = \"file.log\"\n",
    );
    let loaded = Sources::new()
        .file(&file)
        .env_vars([
            ("GREENLINE_TCP_PORT", "2"),
            ("GREENLINE_HTTP_PORT", "2"),
            ("GREENLINE_PIDFILE", "env.pid"),
        ])
        .override_arg("http_port = 3")
        .override_arg("pidfile = \"x.pid\"")
        .flag("pidfile", "flag.pid")
        .load::<Example>()
        .unwrap();
    assert_eq!(loaded.logfile, "file.log");
    assert_eq!(loaded.tcp_port, 2);
    assert_eq!(loaded.http_port, 3);
    assert_eq!(loaded.pidfile, "flag.pid");
    assert_eq!(loaded.connect_address, "127.0.0.1:1234");
    let layers: Vec<&str> = loaded.entries().iter().map(|e| e.origin.layer()).collect();
    assert_eq!(layers, ["flag", "file", "override", "env", "default"]);
    assert_eq!(
        loaded.origin("logfile").unwrap().to_string(),
        format!("{}:3", file.display())
    );
    assert_eq!(
        loaded.origin("tcp_port").unwrap().to_string(),
        "environment variable GREENLINE_TCP_PORT"
    );
    assert_eq!(
        loaded.origin("http_port").unwrap().to_string(),
        "-X #1 `http_port = 3`"
    );
    assert_eq!(
        loaded.origin("pidfile").unwrap().to_string(),
        "flag --pidfile"
    );
}

#[test]
fn later_overrides_and_flags_win() {
    let extra = temp_file("extra.toml", "# extra\ntcp_port = 5\nhttp_port = 5\n");
    let loaded = clean()
        .override_arg("http_port = 4\ntcp_port = 4")
        .override_arg(extra.to_str().unwrap())
        .override_arg("http_port = 6")
        .flag("logfile", "a.log")
        .flag("logfile", "b.log")
        .load::<Example>()
        .unwrap();
    assert_eq!((loaded.http_port, loaded.tcp_port), (6, 5));
    assert_eq!(loaded.logfile, "b.log");
    assert_eq!(
        loaded.origin("tcp_port"),
        Some(&Origin::Override {
            index: 2,
            arg: extra.to_str().unwrap().to_string(),
            path: Some(extra.clone()),
            line: 2,
        })
    );
    assert_eq!(
        loaded.origin("tcp_port").unwrap().to_string(),
        format!("-X #2 {}:2", extra.display())
    );
    assert_eq!(
        loaded.origin("http_port").unwrap().to_string(),
        "-X #3 `http_port = 6`"
    );
}

#[test]
fn a_multi_line_snippet_names_the_line() {
    let loaded = clean()
        .override_arg("http_port = 4\ntcp_port = 9")
        .load::<Example>()
        .unwrap();
    assert_eq!(
        loaded.origin("tcp_port").unwrap().to_string(),
        "-X #1 `tcp_port = 9`"
    );
}

#[test]
fn environment_text_is_toml_or_a_string() {
    let loaded = clean()
        .env_vars([
            ("GREENLINE_CONNECT_ADDRESS", "10.0.0.1:99"),
            // TOML for an integer, but the setting is a string: the text.
            ("GREENLINE_LOGFILE", "8080"),
            ("GREENLINE_PIDFILE", "\"quoted.pid\""),
            ("GREENLINE_HTTP_PORT", "7070"),
        ])
        .load::<Example>()
        .unwrap();
    assert_eq!(loaded.connect_address, "10.0.0.1:99");
    assert_eq!(loaded.logfile, "8080");
    assert_eq!(loaded.pidfile, "quoted.pid");
    assert_eq!(loaded.http_port, 7070);
    let kinds = clean()
        .env_vars([
            ("GREENLINE_PORTS", "[1, 2]"),
            ("GREENLINE_VERBOSE", "true"),
            ("GREENLINE_USER", "nobody"),
            ("GREENLINE_BACKEND", "{ host = \"db\", port = 1 }"),
        ])
        .load::<Kinds>()
        .unwrap();
    assert_eq!(kinds.ports, [1, 2]);
    assert!(kinds.verbose);
    assert_eq!(kinds.user.as_deref(), Some("nobody"));
    assert_eq!(
        kinds.backend,
        Backend {
            host: "db".into(),
            port: 1
        }
    );
}

#[test]
fn an_env_prefix_replaces_greenline() {
    let vars = [
        ("MYAPP_HTTP_PORT", "1"),
        ("GREENLINE_TCP_PORT", "2"),
        ("MYAPP_NOT_A_KEY", "3"),
    ];
    let loaded = Sources::new()
        .env_prefix("MYAPP_")
        .env_vars(vars)
        .load::<Example>()
        .unwrap();
    assert_eq!(loaded.http_port, 1);
    assert_eq!(
        loaded.tcp_port, 1234,
        "GREENLINE_ is not read under another prefix"
    );
    assert_eq!(
        loaded.origin("http_port"),
        Some(&Origin::Env {
            var: "MYAPP_HTTP_PORT".into()
        })
    );
    assert_eq!(Sources::new().env_prefix("MYAPP_").prefix(), "MYAPP_");
    assert_eq!(Sources::new().prefix(), "GREENLINE_");
}

#[test]
fn the_process_environment_is_read_at_each_load() {
    // The one test that touches the process's environment, under a prefix
    // no other test uses.
    let sources = Sources::new().env_prefix("GLTEST_PROCESS_ENV_");
    std::env::set_var("GLTEST_PROCESS_ENV_HTTP_PORT", "6060");
    let first = sources.load::<Example>().unwrap();
    std::env::set_var("GLTEST_PROCESS_ENV_HTTP_PORT", "6061");
    let second = first.reload().unwrap();
    std::env::remove_var("GLTEST_PROCESS_ENV_HTTP_PORT");
    assert_eq!((first.http_port, second.http_port), (6060, 6061));
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let file = temp_file("syntax.toml", "http_port = 8080\ntcp_port = = 3\n");
    let error = load_err::<Example>(clean().file(&file));
    assert_eq!(error.problems().len(), 1);
    let SettingError::Syntax {
        at,
        column,
        message,
    } = error.first()
    else {
        panic!("not a syntax error: {error}");
    };
    assert_eq!(
        at,
        &Origin::File {
            path: file.clone(),
            line: 2
        }
    );
    assert_eq!(*column, 12);
    assert!(!message.contains('\n'));
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "TOML syntax error at {}:2, column 12: ",
            file.display()
        )),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1);
}

#[test]
fn a_syntax_error_in_a_snippet_names_the_override() {
    let error = load_err::<Example>(
        clean()
            .override_arg("http_port = 7070")
            .override_arg("x = "),
    );
    let text = error.to_string();
    assert!(
        text.starts_with("TOML syntax error at -X #2 `x =`, column "),
        "{text}"
    );
}

#[test]
fn an_unknown_key_names_file_line_and_nearest_key() {
    let file = temp_file(
        "unknown.toml",
        "pidfile = \"a\"\n\nhtp_port = 8080\ncolour = 1\n",
    );
    let error = load_err::<Example>(clean().file(&file));
    let lines: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            format!(
                "unknown setting `htp_port` at {}:3; did you mean `http_port`?",
                file.display()
            ),
            format!("unknown setting `colour` at {}:4", file.display()),
        ]
    );
    assert!(matches!(
        error.first(),
        SettingError::UnknownKey { key, suggestion: Some("http_port"), .. } if key == "htp_port"
    ));
}

#[test]
fn unknown_keys_from_overrides_and_flags_name_them() {
    let error = load_err::<Example>(clean().override_arg("tcp_prot = 1").flag("pidfle", "x"));
    let lines: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "unknown setting `tcp_prot` at -X #1 `tcp_prot = 1`; did you mean `tcp_port`?",
            "unknown setting `pidfle` at flag --pidfle; did you mean `pidfile`?",
        ]
    );
}

#[test]
fn a_wrong_type_names_key_expected_found_and_place() {
    let file = temp_file("wrong.toml", "tcp_port = 1\nhttp_port = \"eighty\"\n");
    let error = load_err::<Example>(clean().file(&file));
    assert_eq!(
        error.to_string(),
        format!(
            "wrong type for setting `http_port` at {}:2: expected u16, found string \"eighty\"",
            file.display()
        )
    );
    let SettingError::WrongType { key, expected, .. } = error.first() else {
        panic!("not a wrong type: {error}");
    };
    assert_eq!((*key, expected.as_str()), ("http_port", "u16"));
}

#[test]
fn a_value_out_of_range_says_so() {
    let error = load_err::<Example>(clean().env_vars([("GREENLINE_HTTP_PORT", "70000")]));
    let text = error.to_string();
    assert!(
        text.starts_with(
            "wrong type for setting `http_port` at environment variable GREENLINE_HTTP_PORT: \
             expected u16, found integer 70000 ("
        ),
        "{text}"
    );
}

#[test]
fn a_wrong_table_names_the_field() {
    let error =
        load_err::<Kinds>(clean().override_arg("backend = { host = \"db\", port = \"x\" }"));
    let text = error.to_string();
    assert!(
        text.starts_with("wrong type for setting `backend` at -X #1 "),
        "{text}"
    );
    assert!(
        text.contains("expected Backend, found table { host = \"db\", port = \"x\" }"),
        "{text}"
    );
    assert!(
        text.contains("invalid type: string \"x\", expected u16"),
        "{text}"
    );
    let error = load_err::<Kinds>(clean().flag("ports", "[1, \"a\"]"));
    assert!(error.to_string().contains("expected Vec<u16>"), "{error}");
}

#[test]
fn a_table_is_merged_key_by_key_an_array_replaced() {
    let file = temp_file("tables.toml", "ports = [1, 2]\n[backend]\nhost = \"db\"\n");
    let loaded = clean()
        .file(&file)
        .override_arg("backend.port = 6432")
        .override_arg("ports = [3]")
        .load::<Kinds>()
        .unwrap();
    // The host from the file, the port from -X: the default's port is gone.
    assert_eq!(
        loaded.backend,
        Backend {
            host: "db".into(),
            port: 6432
        }
    );
    assert_eq!(loaded.ports, [3]);
    assert_eq!(
        loaded.origin("backend").unwrap().to_string(),
        "-X #1 `backend.port = 6432`",
        "a merged table names the last layer that wrote into it"
    );
    // The file alone: its host onto the default's port.
    let loaded = clean().file(&file).load::<Kinds>().unwrap();
    assert_eq!(
        loaded.backend,
        Backend {
            host: "db".into(),
            port: 5432
        }
    );
    assert_eq!(
        loaded.origin("backend").unwrap().to_string(),
        format!("{}:2", file.display())
    );
}

#[test]
fn every_problem_is_reported_in_layer_order() {
    let file = temp_file("many.toml", "htp_port = 1\ntcp_port = true\n");
    let error = load_err::<Example>(
        clean()
            .file(&file)
            .override_arg("nope.toml")
            .flag("http_port", "x"),
    );
    let kinds: Vec<&str> = error
        .problems()
        .iter()
        .map(|p| match p {
            SettingError::Read { .. } => "read",
            SettingError::Syntax { .. } => "syntax",
            SettingError::UnknownKey { .. } => "unknown",
            SettingError::WrongType { .. } => "type",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["read", "unknown", "type", "type"]);
    assert_eq!(error.to_string().lines().count(), 4);
    assert!(error
        .to_string()
        .starts_with("cannot read -X #1 file nope.toml: "));
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let error = load_err::<Example>(clean().file("/nonexistent/greenline.toml"));
    assert!(
        error
            .to_string()
            .starts_with("cannot read config file /nonexistent/greenline.toml: "),
        "{error}"
    );
    assert!(matches!(
        error.first(),
        SettingError::Read {
            override_index: None,
            ..
        }
    ));
}

#[test]
fn the_template_parses_back_to_the_defaults() {
    for (name, text) in [
        ("example", template::<Example>()),
        ("kinds", template::<Kinds>()),
    ] {
        let file = temp_file(&format!("template-{name}.toml"), &text);
        if name == "example" {
            let loaded = clean().file(&file).load::<Example>().unwrap();
            assert_eq!(*loaded.settings(), Example::default());
            assert!(loaded.entries().iter().all(|e| e.origin.layer() == "file"));
        } else {
            let loaded = clean().file(&file).load::<Kinds>().unwrap();
            assert_eq!(*loaded.settings(), Kinds::default());
            assert_eq!(
                loaded.origin("user"),
                Some(&Origin::Default),
                "unset stays unset"
            );
        }
    }
    let text = template::<Kinds>();
    assert!(text.starts_with("# An optional user.\n#\n# Unset means \"do not drop privileges\".\n"));
    assert!(
        text.contains("# type: Option<String>\n# user = (unset)\n"),
        "{text}"
    );
    assert!(
        text.contains("# A list of ports.\n# type: Vec<u16>\nports = [80, 443]\n"),
        "{text}"
    );
    assert!(
        text.contains("backend = { host = \"localhost\", port = 5432 }\n"),
        "{text}"
    );
}

#[test]
fn show_lists_every_value_and_origin_and_is_toml() {
    let loaded = clean()
        .env_vars([("GREENLINE_TCP_PORT", "9")])
        .file(example_toml())
        .override_arg("http_port = 7070")
        .load::<Example>()
        .unwrap();
    let shown = loaded.show();
    let lines: Vec<&str> = shown.lines().collect();
    let file = example_toml().display().to_string();
    // Values padded to the longest assignment, then two spaces.
    let row = |assignment: &str, origin: &str| format!("{assignment:<34}  # {origin}");
    assert_eq!(
        lines,
        [
            row("pidfile = \"example.pid\"", &format!("{file}:4")),
            row("logfile = \"example.log\"", &format!("{file}:5")),
            row("http_port = 7070", "-X #1 `http_port = 7070`"),
            row("tcp_port = 9", "environment variable GREENLINE_TCP_PORT"),
            row("connect_address = \"127.0.0.1:1234\"", &format!("{file}:8")),
        ]
    );
    let back: toml::Table = shown.parse().unwrap();
    assert_eq!(back["http_port"].as_integer(), Some(7070));
    assert_eq!(back.len(), 5);
    let unset = clean().load::<Kinds>().unwrap().show();
    assert!(unset.starts_with("# user is unset  "), "{unset}");
}

#[test]
fn reload_reads_the_file_again_and_diff_names_the_changes() {
    let file = temp_file("reload.toml", "http_port = 8080\ntcp_port = 1234\n");
    let old = clean().file(&file).load::<Example>().unwrap();
    std::fs::write(
        &file,
        "http_port = 7070\ntcp_port = 1234\nlogfile = \"b.log\"\n",
    )
    .unwrap();
    let new = old.reload().unwrap();
    let changes = diff(&old, &new);
    let keys: Vec<&str> = changes.iter().map(|c| c.key).collect();
    assert_eq!(
        keys,
        ["logfile", "http_port"],
        "declaration order; tcp_port unchanged"
    );
    assert_eq!(changes[1].to_string(), "http_port: 8080 -> 7070");
    assert_eq!(
        changes[0].to_string(),
        "logfile: \"example.log\" -> \"b.log\""
    );
    assert!(diff(&new, &new.reload().unwrap()).is_empty());
}

#[test]
fn a_failed_reload_leaves_the_old_settings() {
    let file = temp_file("broken-reload.toml", "http_port = 8080\n");
    let current = clean().file(&file).load::<Example>().unwrap();
    std::fs::write(&file, "http_port = \"oops\"\n").unwrap();
    let error = current.reload().unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("wrong type for setting `http_port`"),
        "{error}"
    );
    assert_eq!(current.http_port, 8080);
    assert_eq!(current.origin("http_port").unwrap().layer(), "file");
}

#[test]
fn diff_reports_an_option_set_and_unset() {
    let unset = clean().load::<Kinds>().unwrap();
    let set = clean()
        .override_arg("user = \"www\"")
        .load::<Kinds>()
        .unwrap();
    let changes = diff(&unset, &set);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].to_string(), "user: (unset) -> \"www\"");
    assert_eq!(
        diff(&set, &unset)[0].to_string(),
        "user: \"www\" -> (unset)"
    );
}

#[test]
fn a_pair_reads_the_keys_of_both() {
    let loaded = clean()
        .file(example_toml())
        .override_arg("stop_timeout = 2.5")
        .load::<(Runner, Example)>()
        .unwrap();
    let (runner, example) = loaded.settings();
    assert_eq!(runner.stop_timeout, 2.5);
    assert_eq!(
        runner.pidfile, "example.pid",
        "a key both declare is set in both"
    );
    assert_eq!(example.pidfile, "example.pid");
    assert_eq!(example.http_port, 8080);
    assert_eq!(<(Runner, Example)>::fields().len(), 6);
    let error = load_err::<(Runner, Example)>(clean().override_arg("stop_timout = 1"));
    assert!(
        error.to_string().ends_with("did you mean `stop_timeout`?"),
        "{error}"
    );
}

#[test]
fn serde_reads_and_writes_the_struct() {
    let example: Example = toml::from_str("http_port = 1").unwrap();
    assert_eq!(
        example,
        Example {
            http_port: 1,
            ..Example::default()
        }
    );
    let error = toml::from_str::<Example>("htp_port = 1").unwrap_err();
    assert!(
        error.message().contains("unknown field `htp_port`"),
        "{error}"
    );
    let text = toml::to_string(&Example::default()).unwrap();
    assert_eq!(
        toml::from_str::<Example>(&text).unwrap(),
        Example::default()
    );
}

#[test]
fn fields_carry_key_doc_and_type() {
    let fields = Kinds::fields();
    assert_eq!(fields[0].key, "user");
    assert_eq!(
        fields[0].doc,
        " An optional user.\n\n Unset means \"do not drop privileges\".\n"
    );
    assert_eq!(
        fields[0].summary(),
        "An optional user. Unset means \"do not drop privileges\"."
    );
    assert_eq!(fields[0].type_display(), "Option<String>");
    assert_eq!(fields[4].type_display(), "Backend");
}
