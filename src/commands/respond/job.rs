//! One request's answer: a fixed text, or what a command prints with the
//! request's payload on its stdin and the rest of the request in its
//! environment.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::codec::Publish;

/// How requests are answered.
#[derive(Debug, Clone)]
pub enum Answerer {
    /// The same text for every request (-m).
    Fixed(Bytes),
    /// A command run for each request.
    Command {
        program: PathBuf,
        args: Vec<String>,
        /// Killed after this long, and nothing answered.
        timeout: Option<Duration>,
        /// A failed command's stderr is the answer, rather than none.
        answer_stderr: bool,
    },
}

/// What a request gets.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Reply(Bytes),
    /// No answer, and why, for the line on stderr.
    Nothing(String),
}

impl Answerer {
    /// The answer to `request`, which will go to `response_topic`.
    pub async fn answer(&self, request: &Publish, response_topic: Option<&str>) -> Answer {
        match self {
            Answerer::Fixed(text) => Answer::Reply(text.clone()),
            Answerer::Command {
                program,
                args,
                timeout,
                answer_stderr,
            } => {
                let mut command = Command::new(program);
                command.args(args);
                set_environment(&mut command, request, response_topic);
                run(command, request.payload.clone(), *timeout, *answer_stderr).await
            }
        }
    }
}

/// Runs `command` with `input` on its stdin; its stdout is the answer.
async fn run(
    mut command: Command,
    input: Bytes,
    timeout: Option<Duration>,
    answer_stderr: bool,
) -> Answer {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(if answer_stderr {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .kill_on_drop(true);
    // Ctrl-C in a terminal signals the whole foreground process group: in a group of its
    // own, the command finishes the request in hand, as respond does.
    #[cfg(unix)]
    command.process_group(0);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Answer::Nothing(format!("the command could not start: {e}")),
    };
    // Fed apart from the reading, so that a command that answers before it
    // read everything does not hold both sides up.
    if let Some(mut stdin) = child.stdin.take() {
        tokio::spawn(async move {
            let _ = stdin.write_all(&input).await;
        });
    }
    let output = child.wait_with_output();
    let output = match timeout {
        Some(limit) => match tokio::time::timeout(limit, output).await {
            Ok(output) => output,
            // Dropping the future drops the child, which kills it.
            Err(_) => {
                return Answer::Nothing(format!(
                    "the command ran longer than {}s and was killed",
                    limit.as_secs_f64()
                ))
            }
        },
        None => output.await,
    };
    match output {
        Ok(output) if output.status.success() => {
            Answer::Reply(without_final_newline(output.stdout))
        }
        Ok(output) if answer_stderr => Answer::Reply(without_final_newline(output.stderr)),
        Ok(output) => Answer::Nothing(format!("the command failed ({})", output.status)),
        Err(e) => Answer::Nothing(format!("the command could not be waited for: {e}")),
    }
}

/// A command's output less its final line end, as `$(...)` takes it in a
/// shell: `date` answers the time, not the time and a newline.
fn without_final_newline(mut output: Vec<u8>) -> Bytes {
    if output.ends_with(b"\n") {
        output.pop();
        if output.ends_with(b"\r") {
            output.pop();
        }
    }
    Bytes::from(output)
}

/// The request in the command's environment: `MQTK_TOPIC`, `MQTK_QOS`,
/// `MQTK_RESPONSE_TOPIC`, `MQTK_CORRELATION_DATA`, `MQTK_CONTENT_TYPE` and
/// `MQTK_USER_PROPERTIES` (a JSON array of `[key, value]` pairs).
fn set_environment(command: &mut Command, request: &Publish, response_topic: Option<&str>) {
    command
        .env("MQTK_TOPIC", &*request.topic)
        .env("MQTK_QOS", (request.qos as u8).to_string());
    let properties = &request.properties;
    if let Some(topic) = response_topic {
        command.env("MQTK_RESPONSE_TOPIC", topic);
    }
    // An environment variable holds any bytes but NUL.
    if let Some(data) = properties
        .correlation_data
        .as_ref()
        .filter(|d| !d.contains(&0))
    {
        #[cfg(unix)]
        let data = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(&data[..]);
        #[cfg(not(unix))]
        let data = String::from_utf8_lossy(data).into_owned();
        command.env("MQTK_CORRELATION_DATA", data);
    }
    if let Some(content_type) = &properties.content_type {
        command.env("MQTK_CONTENT_TYPE", content_type);
    }
    if !properties.user_properties.is_empty() {
        let pairs = serde_json::Value::from(
            properties
                .user_properties
                .iter()
                .map(|(k, v)| serde_json::json!([k, v]))
                .collect::<Vec<_>>(),
        );
        command.env("MQTK_USER_PROPERTIES", pairs.to_string());
    }
}

/// The program a command line names, found as a shell would: a path as it
/// is, a bare name in `PATH`; `None` when there is no such executable file.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let executable = |path: &Path| {
        path.metadata().is_ok_and(|m| {
            #[cfg(unix)]
            let runs = std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0;
            #[cfg(not(unix))]
            let runs = true;
            m.is_file() && runs
        })
    };
    if name.contains('/') {
        let path = PathBuf::from(name);
        return executable(&path).then_some(path);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| executable(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{PropertyValues, QoS};

    fn request(payload: &str) -> Publish {
        Publish {
            topic: "svc/req".into(),
            qos: QoS::AtLeastOnce,
            payload: Bytes::copy_from_slice(payload.as_bytes()),
            properties: PropertyValues {
                correlation_data: Some(Bytes::from("c-1")),
                user_properties: vec![("k".into(), "v".into())],
                ..PropertyValues::default()
            }
            .into(),
            ..Publish::default()
        }
    }

    fn shell(script: &str, timeout: Option<Duration>, answer_stderr: bool) -> Answerer {
        Answerer::Command {
            program: find_program("sh").expect("sh"),
            args: vec!["-c".into(), script.into()],
            timeout,
            answer_stderr,
        }
    }

    #[tokio::test]
    async fn the_command_reads_the_payload_and_the_request_from_its_environment() {
        let script = r#"printf '%s|%s|%s|%s|%s|' "$(cat)" "$MQTK_TOPIC" "$MQTK_QOS" \
            "$MQTK_CORRELATION_DATA" "$MQTK_RESPONSE_TOPIC"; printf %s "$MQTK_USER_PROPERTIES""#;
        let answer = shell(script, None, false)
            .answer(&request("hello"), Some("svc/resp"))
            .await;
        assert_eq!(
            answer,
            Answer::Reply(Bytes::from(r#"hello|svc/req|1|c-1|svc/resp|[["k","v"]]"#))
        );
    }

    #[tokio::test]
    async fn a_failed_or_slow_command_answers_nothing_unless_asked_for_stderr() {
        let failed = shell("echo oops >&2; exit 3", None, false)
            .answer(&request(""), None)
            .await;
        assert!(matches!(failed, Answer::Nothing(why) if why.contains("exit status: 3")));
        let told = shell("echo oops >&2; exit 3", None, true)
            .answer(&request(""), None)
            .await;
        assert_eq!(told, Answer::Reply(Bytes::from("oops")));
        let slow = shell("sleep 5", Some(Duration::from_millis(100)), false)
            .answer(&request(""), None)
            .await;
        assert!(matches!(slow, Answer::Nothing(why) if why.contains("killed")));
    }

    #[test]
    fn programs_are_found_as_a_shell_finds_them() {
        assert!(find_program("sh").is_some());
        assert!(find_program("no-such-program-anywhere").is_none());
        assert!(find_program("/no/such/path").is_none());
    }
}
