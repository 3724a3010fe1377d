//! `--decode` and `--encode` through a real broker, against payloads written by encoders
//! that are not mqtk's: Sparkplug B by pysparkplug (and the protobuf classes it ships, from
//! Eclipse Tahu's schema), CBOR by cbor2, MessagePack by msgpack. The fixtures and the script
//! that made them are in tests/data/codecs/.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

use common::run::{publish_ok, publish_with_input, subscribe, Finished};
use common::{rumqttd_v5, Broker};

fn fixture(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", "codecs", name]
        .iter()
        .collect();
    path.to_string_lossy().into_owned()
}

/// What each fixture decodes to, as the library that wrote it reads it.
fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture("expected.json")).expect("expected.json");
    let all: Value = serde_json::from_str(&text).expect("expected.json is JSON");
    all[name].clone()
}

/// A Sparkplug group of this test's own: one topic level.
fn group() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "g{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The `decoded` member of every `--json` line.
fn decoded_lines(got: &Finished) -> Vec<Value> {
    got.stdout()
        .lines()
        .map(|line| {
            let object: Value = serde_json::from_str(line).expect("a --json line");
            object["decoded"].clone()
        })
        .collect()
}

/// Every member `expected` has, `actual` has too, with the same value (metrics also carry
/// timestamps, which the fixtures' expectations leave out).
fn assert_has(actual: &Value, expected: &Value, what: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (key, value) in e {
                let got = a.get(key).unwrap_or(&Value::Null);
                assert_has(got, value, &format!("{what}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(a.len(), e.len(), "{what}: {actual} against {expected}");
            for (i, (a, e)) in a.iter().zip(e).enumerate() {
                assert_has(a, e, &format!("{what}[{i}]"));
            }
        }
        (Value::Number(a), Value::Number(e)) if a.is_f64() || e.is_f64() => {
            assert_eq!(a.as_f64(), e.as_f64(), "{what}");
        }
        _ => assert_eq!(actual, expected, "{what}"),
    }
}

fn publish_file(broker: &Broker, topic: &str, file: &str, extra: &[&str]) {
    let path = fixture(file);
    let mut args = vec!["-t", topic, "-f", &path, "-q", "1"];
    args.extend(extra);
    publish_ok(broker, &args);
}

/// An edge node's whole session from an independent encoder: every datatype named and read
/// from its BIRTH, DATA by alias only resolved to names, and each break of the rules one
/// warning: a seq gap, an alias no BIRTH named, a stale NDEATH (a matching one is silent).
#[test]
fn a_sparkplug_session_is_named_from_its_births_and_checked() {
    let broker = rumqttd_v5();
    let g = group();
    let filter = format!("spBv1.0/{g}/#");
    let sub = subscribe(
        &broker,
        &["-t", &filter, "--json", "-C", "9", "-W", "20", "-q", "1"],
    );
    let session = [
        ("NBIRTH/edge", "nbirth"),
        ("DBIRTH/edge/pump", "dbirth"),
        ("NDATA/edge", "ndata"),
        ("DDATA/edge/pump", "ddata"),
        ("NDATA/edge", "ndata_gap"),
        ("NDATA/edge", "ndata_unknown_alias"),
        ("NDEATH/edge", "ndeath_stale"),
        ("NDEATH/edge", "ndeath"),
        ("NBIRTH/other", "structures"),
    ];
    for (topic, file) in session {
        publish_file(
            &broker,
            &format!("spBv1.0/{g}/{topic}"),
            &format!("{file}.pb"),
            &[],
        );
    }
    let got = sub.finish();
    got.assert_code(0, "sub --json of a Sparkplug session");
    let decoded = decoded_lines(&got);
    assert_eq!(decoded.len(), session.len(), "{}", got.stdout());
    for ((_, file), decoded) in session.iter().zip(&decoded) {
        assert_has(&decoded["metrics"], &expected(file), file);
    }
    assert_eq!(decoded[0]["seq"], 0);
    assert_eq!(decoded[0]["timestamp"], "2023-11-14T22:13:20.000Z");
    assert_eq!(
        decoded[0]["metrics"][0]["timestamp"],
        "2023-11-14T22:13:20.000Z"
    );
    let err = &got.stderr;
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("warning: Sparkplug"))
        .collect();
    let expected_warnings = [
        &format!("NData from {g}/edge has seq 5, expected 4")[..],
        &format!("{g}/edge has aliases no BIRTH named: 999"),
        "--rebirth asks the edge node for a new BIRTH",
        &format!("NDEATH from {g}/edge has bdSeq 4, but its NBIRTH had 5"),
    ];
    assert_eq!(warnings.len(), expected_warnings.len(), "{warnings:#?}");
    for (line, expected) in warnings.iter().zip(expected_warnings) {
        assert!(line.contains(expected), "{line:?} should say {expected:?}");
    }
}

/// DATA before any BIRTH: with --rebirth the edge node is asked once for a new BIRTH, an NCMD
/// setting Node Control/Rebirth to true on its NCMD topic, which another subscriber reads.
#[test]
fn data_before_birth_with_rebirth_asks_the_edge_node_for_a_birth() {
    let broker = rumqttd_v5();
    let g = group();
    let ncmd = format!("spBv1.0/{g}/NCMD/edge");
    let watcher = subscribe(&broker, &["-t", &ncmd, "--json", "-C", "1", "-W", "20"]);
    let data = format!("spBv1.0/{g}/NDATA/edge");
    let sub = subscribe(
        &broker,
        &["-t", &data, "--rebirth", "-C", "2", "-W", "20", "-q", "1"],
    );
    publish_file(&broker, &data, "ndata.pb", &[]);
    publish_file(&broker, &data, "ndata.pb", &[]);
    let asked = watcher.finish();
    asked.assert_code(0, "the NCMD watcher");
    let request = &decoded_lines(&asked)[0];
    assert_has(
        &request["metrics"],
        &serde_json::json!([{"name": "Node Control/Rebirth", "datatype": "Boolean", "value": true}]),
        "the NCMD",
    );
    let got = sub.finish();
    got.assert_code(0, "sub --rebirth");
    let err = &got.stderr;
    assert!(
        err.contains(&format!("NData from {g}/edge came before its NBIRTH")),
        "{err}"
    );
    assert_eq!(err.matches("asking").count(), 1, "asked once: {err}");
    // Unnamed, the aliases are shown as they are.
    let first: Value = serde_json::from_str(got.stdout().lines().next().unwrap()).unwrap();
    assert_eq!(first["metrics"][0]["alias"], 2, "{first}");
    assert!(first["metrics"][0].get("name").is_none(), "{first}");
}

/// A host application's STATE (Sparkplug 3.0 JSON) is read as online or offline.
#[test]
fn a_state_message_shows_the_host_online() {
    let broker = rumqttd_v5();
    let g = group();
    let topic = format!("spBv1.0/STATE/{g}");
    let sub = subscribe(&broker, &["-t", &topic, "-C", "1", "-W", "20"]);
    publish_file(&broker, &topic, "state.json", &[]);
    let got = sub.finish();
    got.assert_code(0, "sub of a STATE");
    let state: Value = serde_json::from_str(got.stdout().trim()).unwrap();
    assert_eq!(
        state,
        serde_json::json!({"host": g, "online": true, "timestamp": "2023-11-14T22:13:20.000Z"})
    );
}

/// CBOR and MessagePack from their Python libraries: decoded when asked, and by `auto` when
/// an MQTT 5 content type names them; without one, `auto` leaves the bytes as they are.
#[test]
fn cbor_and_msgpack_from_other_encoders_decode_by_flag_or_content_type() {
    let broker = rumqttd_v5();
    for (file, format, content_type) in [
        ("document.cbor", "cbor", "application/cbor"),
        ("document.msgpack", "msgpack", "application/msgpack"),
    ] {
        let topic = format!("codecs/{}/{format}", group());
        let asked = subscribe(
            &broker,
            &[
                "-t", &topic, "--json", "--decode", format, "-C", "1", "-W", "20",
            ],
        );
        let auto = subscribe(&broker, &["-t", &topic, "--json", "-C", "2", "-W", "20"]);
        publish_file(&broker, &topic, file, &[]);
        publish_file(&broker, &topic, file, &["--content-type", content_type]);
        let asked = asked.finish();
        asked.assert_code(0, format);
        assert_eq!(decoded_lines(&asked)[0], expected(file), "{format}");
        let auto = auto.finish();
        auto.assert_code(0, format);
        let decoded = decoded_lines(&auto);
        assert_eq!(
            decoded[0],
            Value::Null,
            "{format}: no content type, not decoded"
        );
        assert_eq!(decoded[1], expected(file), "{format} by its content type");
    }
}

/// What `pub --encode` makes, `sub --decode` reads back as the same JSON, in each format.
#[test]
fn encode_and_decode_round_trip_in_every_format() {
    let broker = rumqttd_v5();
    let sparkplug = r#"{"timestamp":"2024-05-06T07:08:09.010Z","seq":3,"metrics":[{"name":"temp","alias":1,"datatype":"Float","value":21.5},{"name":"n","datatype":"Int16Array","value":[-1,2]},{"name":"ok","datatype":"Boolean","value":true},{"name":"gone","datatype":"String","value":null,"is_null":true}]}"#;
    let document = r#"{"a":1,"b":[true,null,"x"],"c":{"d":-2.5}}"#;
    for (format, input, topic) in [
        (
            "sparkplug",
            sparkplug,
            format!("spBv1.0/{}/NBIRTH/edge", group()),
        ),
        ("cbor", document, format!("codecs/{}", group())),
        ("msgpack", document, format!("codecs/{}", group())),
        ("json", document, format!("codecs/{}", group())),
    ] {
        let sub = subscribe(
            &broker,
            &["-t", &topic, "--decode", format, "-C", "1", "-W", "20"],
        );
        publish_ok(
            &broker,
            &["-t", &topic, "--encode", format, "-m", input, "-q", "1"],
        );
        let got = sub.finish();
        got.assert_code(0, format);
        let back: Value = serde_json::from_str(got.stdout().trim()).expect("decoded JSON");
        let sent: Value = serde_json::from_str(input).unwrap();
        assert_eq!(back, sent, "{format}");
    }
}

/// A payload that does not decode mid-stream is printed as it came, with one warning naming
/// its topic; the messages around it are decoded. -v and -F %V show the decoded JSON.
#[test]
fn a_bad_payload_mid_stream_is_printed_as_it_is_with_a_warning() {
    let broker = rumqttd_v5();
    let topic = format!("codecs/{}", group());
    let verbose = subscribe(
        &broker,
        &[
            "-t", &topic, "--decode", "cbor", "-v", "-C", "3", "-W", "20",
        ],
    );
    let format = subscribe(
        &broker,
        &[
            "-t", &topic, "--decode", "cbor", "-F", "%V|%p", "-C", "1", "-W", "20",
        ],
    );
    publish_ok(
        &broker,
        &["-t", &topic, "--encode", "cbor", "-m", "[1,2]", "-q", "1"],
    );
    publish_ok(&broker, &["-t", &topic, "-m", "\u{ff}not cbor", "-q", "1"]);
    publish_ok(
        &broker,
        &[
            "-t",
            &topic,
            "--encode",
            "cbor",
            "-m",
            "{\"k\":\"v\"}",
            "-q",
            "1",
        ],
    );
    let got = verbose.finish();
    got.assert_code(0, "sub -v --decode cbor");
    let lines: Vec<String> = got.stdout().lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], format!("{topic} [1,2]"));
    assert!(lines[1].starts_with(&format!("{topic} ")), "{lines:?}");
    assert!(
        lines[1].ends_with("not cbor"),
        "the bytes as they came: {lines:?}"
    );
    assert_eq!(lines[2], format!("{topic} {{\"k\":\"v\"}}"));
    let warnings: Vec<&str> = got
        .stderr
        .lines()
        .filter(|l| l.contains("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains(&format!("cannot decode the payload on {topic} as CBOR")),
        "{warnings:?}"
    );
    let got = format.finish();
    got.assert_code(0, "sub -F %V");
    // The CBOR of [1,2] is 0x82 0x01 0x02.
    assert_eq!(got.stdout, b"[1,2]|\x82\x01\x02\n", "-F %V|%p");
}

/// Input that is not JSON, or does not fit the format, is one line naming where and exit 1.
#[test]
fn input_that_does_not_encode_is_a_clear_error() {
    let broker = rumqttd_v5();
    let topic = format!("codecs/{}", group());
    let bad = publish_with_input(
        &broker,
        &["-t", &topic, "--encode", "cbor", "-m", "{not json"],
        None,
    );
    bad.assert_code(1, "--encode cbor -m '{not json'");
    assert!(
        bad.stderr
            .contains("the message: cannot encode it as CBOR: the input is not JSON"),
        "{}",
        bad.stderr
    );
    let lines =
        b"{\"metrics\":[]}\n{\"metrics\":[{\"name\":\"x\",\"datatype\":\"Int8\",\"value\":300}]}\n"
            .to_vec();
    let bad = publish_with_input(
        &broker,
        &["-t", &topic, "--encode", "sparkplug", "-l"],
        Some(lines),
    );
    bad.assert_code(1, "--encode sparkplug -l");
    assert!(
        bad.stderr.contains(
            "line 2: cannot encode it as Sparkplug B: metric 1: 300 does not fit the datatype Int8"
        ),
        "{}",
        bad.stderr
    );
}

/// The schema options of tests/data/codecs/: reading.proto imports common/units.proto from
/// the folder --proto-path names.
fn schema_args() -> Vec<String> {
    vec![
        "--proto".into(),
        fixture("proto/reading.proto"),
        "--proto-path".into(),
        fixture("proto"),
        "--proto-message".into(),
        "Reading".into(),
        "--avro-schema".into(),
        fixture("reading.avsc"),
    ]
}

/// Protobuf written by Google's runtime from a schema read at run time, and Avro written by
/// fastavro, raw and single-object encoded, decode to what their writers read; what
/// `pub --encode` makes of the same JSON decodes back to it.
#[test]
fn protobuf_and_avro_with_schemas_read_at_run_time() {
    let broker = rumqttd_v5();
    let schemas = schema_args();
    let schemas: Vec<&str> = schemas.iter().map(String::as_str).collect();
    for (format, files) in [
        ("protobuf", &["reading.pb"][..]),
        ("avro", &["reading.avro", "reading-single.avro"][..]),
    ] {
        let topic = format!("codecs/{}", group());
        let count = (files.len() + 1).to_string();
        let mut args = vec![
            "-t", &topic, "--json", "--decode", format, "-C", &count, "-W", "20",
        ];
        args.extend(&schemas);
        let sub = subscribe(&broker, &args);
        for file in files {
            publish_file(&broker, &topic, file, &[]);
        }
        let input = expected(files[0]).to_string();
        let mut args = vec!["-t", &topic, "--encode", format, "-m", &input, "-q", "1"];
        args.extend(&schemas);
        publish_ok(&broker, &args);
        let got = sub.finish();
        got.assert_code(0, format);
        let decoded = decoded_lines(&got);
        for (file, decoded) in files.iter().chain(&[files[0]]).zip(&decoded) {
            assert_eq!(decoded, &expected(file), "{format}: {file}");
        }
    }
}

/// A format that needs a schema, without one, is a usage error before connecting.
#[test]
fn a_format_without_its_schema_is_a_usage_error() {
    let broker = rumqttd_v5();
    for (args, says) in [
        (
            &["--decode", "protobuf"][..],
            "--decode protobuf needs --proto FILE and --proto-message TYPE",
        ),
        (
            &["--decode", "avro"],
            "--decode Avro needs --avro-schema FILE",
        ),
        (
            &["--proto", "x.proto"],
            "--proto needs --proto-message TYPE",
        ),
    ] {
        let mut command = common::mqtk();
        command
            .arg("sub")
            .args(broker.args())
            .args(["-t", "x"])
            .args(args);
        let got = common::run::spawn("sub without a schema", &mut command, None).finish();
        got.assert_code(2, &format!("{args:?}"));
        assert!(got.stderr.contains(says), "{args:?}: {}", got.stderr);
    }
    let mut command = common::mqtk();
    command.arg("sub").args(broker.args()).args([
        "-t",
        "x",
        "--decode",
        "protobuf",
        "--proto",
        &fixture("proto/reading.proto"),
        "--proto-message",
        "Nope",
    ]);
    let got = common::run::spawn("sub with an unknown message", &mut command, None).finish();
    got.assert_code(2, "--proto-message Nope");
    assert!(got.stderr.contains("no message \"Nope\""), "{}", got.stderr);
}

/// `respond --encode` answers in a format (the answer JSON, with the request's id put in by
/// --correlate-json), and `rr --decode` shows the answer as JSON.
#[test]
fn respond_encodes_its_answers_and_rr_decodes_them() {
    let broker = rumqttd_v5();
    let topic = format!("codecs/{}/service", group());
    let mut command = common::mqtk();
    command.arg("respond").args(broker.args()).args([
        "-d",
        "-t",
        &topic,
        "--encode",
        "msgpack",
        "-m",
        r#"{"ok":true}"#,
        "-C",
        "1",
    ]);
    let mut responder = common::run::spawn("respond --encode msgpack", &mut command, None);
    responder.wait_for_stderr("received SUBACK", std::time::Duration::from_secs(10));
    let mut command = common::mqtk();
    command
        .arg("rr")
        .args(broker.args())
        .args(["-t", &topic, "-m", "hi", "--decode", "msgpack", "-W", "20"]);
    let got = common::run::spawn("rr --decode msgpack", &mut command, None).finish();
    got.assert_code(0, "rr --decode msgpack");
    assert_eq!(got.stdout(), "{\"ok\":true}\n");
    responder.finish().assert_code(0, "respond -C 1");
}

/// `--decode raw` leaves even a Sparkplug payload as it came: the recording has no `decoded`.
#[test]
fn raw_decodes_nothing() {
    let broker = rumqttd_v5();
    let topic = format!("spBv1.0/{}/NBIRTH/edge", group());
    let sub = subscribe(
        &broker,
        &[
            "-t", &topic, "--decode", "raw", "--json", "-C", "1", "-W", "20",
        ],
    );
    publish_file(&broker, &topic, "nbirth.pb", &[]);
    let got = sub.finish();
    got.assert_code(0, "sub --decode raw");
    let line: Value = serde_json::from_str(got.stdout().trim()).unwrap();
    assert!(line.get("decoded").is_none(), "{line}");
    let raw = std::fs::read(fixture("nbirth.pb")).unwrap();
    use base64::Engine as _;
    assert_eq!(
        line["payload"],
        base64::engine::general_purpose::STANDARD.encode(raw)
    );
}
