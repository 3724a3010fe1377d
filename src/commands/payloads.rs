//! Payload formats for the commands: `--decode`, a message's payload as
//! JSON for the printer, with the decoder's warnings said on stderr; and
//! `--encode`, JSON input made into a payload.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use prost_reflect::DescriptorPool;

use super::notices::warn;
use super::usage;
use crate::cli::SchemaArgs;
use crate::codec::Publish;
use crate::payload::{self, AvroSchema, Decoder, Format, ProtoMessage, Schemas};

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
    decoded.json
}

/// `--encode`: a format, and the schema it may need.
#[derive(Debug, Clone)]
pub struct Encoding {
    format: Format,
    schemas: Schemas,
}

impl Encoding {
    /// The encoding `--encode` asks for, its schema loaded; `None` without
    /// `--encode`.
    pub fn new(format: Option<Format>, args: &SchemaArgs) -> anyhow::Result<Option<Encoding>> {
        let Some(format) = format else {
            return Ok(None);
        };
        let schemas = schemas(format, args, "--encode")?;
        Ok(Some(Encoding { format, schemas }))
    }

    /// `input` (JSON) encoded; `what` names it in the error, such as "line
    /// 3". Sparkplug payloads without a timestamp get the time now.
    pub fn encode(&self, input: &[u8], what: &str) -> anyhow::Result<Bytes> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        payload::encode(self.format, &self.schemas, input, now)
            .map(Bytes::from)
            .map_err(|why| {
                anyhow::anyhow!("{what}: cannot encode it as {}: {why}", self.format.name())
            })
    }
}

/// The schemas the options give, loaded; a usage error when `format`
/// (named by `flag`) needs one that is missing, or one does not load.
pub fn schemas(format: Format, args: &SchemaArgs, flag: &str) -> anyhow::Result<Schemas> {
    let mut schemas = Schemas::default();
    match (&args.proto[..], &args.proto_message) {
        ([], _) => {}
        (_, None) => {
            return usage("--proto needs --proto-message TYPE: the payloads' message type")
        }
        (files, Some(message)) => {
            let loaded = compile_protos(files, &args.proto_path)
                .and_then(|pool| ProtoMessage::find(&pool, message));
            schemas.protobuf = Some(loaded.or_else(|why| usage(format!("--proto: {why}")))?);
        }
    }
    if let Some(path) = &args.avro_schema {
        let text = std::fs::read_to_string(path).or_else(|e| {
            usage(format!(
                "--avro-schema: cannot read {}: {e}",
                path.display()
            ))
        })?;
        let parsed = AvroSchema::parse(&text);
        schemas.avro = Some(parsed.or_else(|why| {
            usage(format!(
                "--avro-schema: {} is not an Avro schema: {why}",
                path.display()
            ))
        })?);
    }
    let missing = match format {
        Format::Protobuf => schemas.protobuf.is_none(),
        Format::Avro => schemas.avro.is_none(),
        _ => false,
    };
    if let (true, Some(needs)) = (missing, format.needs()) {
        return usage(format!("{flag} {} needs {needs}", format.name()));
    }
    Ok(schemas)
}

/// Compiles `.proto` files, their imports found in `includes` and then beside
/// them.
fn compile_protos(files: &[PathBuf], includes: &[PathBuf]) -> Result<DescriptorPool, String> {
    let mut includes = includes.to_vec();
    for file in files {
        match file.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => includes.push(folder.to_path_buf()),
            _ => includes.push(PathBuf::from(".")),
        }
    }
    let mut compiler = protox::Compiler::new(&includes).map_err(|e| e.to_string())?;
    compiler.include_imports(true);
    compiler.open_files(files).map_err(|e| e.to_string())?;
    Ok(compiler.descriptor_pool())
}
