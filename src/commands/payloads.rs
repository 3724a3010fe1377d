//! Payload formats for the commands: `--decode`, a message's payload as
//! JSON for the printer, with the decoder's warnings said on stderr; and
//! `--encode`, JSON input made into a payload.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::notices::warn;
use crate::codec::Publish;
use crate::payload::{self, Decoder, Format};

/// The payload's JSON text to show instead of the payload, if `decoder` made
/// one. An edge node to ask for a new Sparkplug BIRTH goes into `rebirths`
/// (its NCMD topic).
pub fn decoded_text(
    decoder: &mut Decoder,
    message: &Publish,
    rebirths: &mut Vec<String>,
) -> Option<String> {
    let content_type = message.properties.content_type.as_deref();
    let decoded = decoder.decode(&message.topic, content_type, &message.payload);
    for warning in &decoded.warnings {
        warn(warning);
    }
    rebirths.extend(decoded.ask_rebirth);
    decoded.value.map(|value| value.to_string())
}

/// `input` (JSON) encoded in `format`; `what` names it in the error, such as
/// "line 3". Sparkplug payloads without a timestamp get the time now.
pub fn encoded(format: Format, input: &[u8], what: &str) -> anyhow::Result<Bytes> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    payload::encode(format, input, now)
        .map(Bytes::from)
        .map_err(|why| anyhow::anyhow!("{what}: cannot encode it as {}: {why}", format.name()))
}
