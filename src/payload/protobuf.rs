//! Protobuf messages of a schema given at run time (the command compiles the
//! `.proto` files when it starts), read and written by prost-reflect. JSON as
//! the protobuf JSON mapping has it, but with the field names of the `.proto`
//! file and 64-bit integers as numbers, so that `jq` sees what the schema
//! says.

use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DeserializeOptions, DynamicMessage, MessageDescriptor, SerializeOptions,
};
use serde_json::Value;

/// One message type of a compiled schema.
#[derive(Debug, Clone)]
pub struct ProtoMessage(MessageDescriptor);

impl ProtoMessage {
    /// The message type `message` of a compiled schema, by its full name or,
    /// when only one message has it, its short name.
    pub fn find(pool: &DescriptorPool, message: &str) -> Result<ProtoMessage, String> {
        if let Some(found) = pool.get_message_by_name(message) {
            return Ok(ProtoMessage(found));
        }
        let named: Vec<MessageDescriptor> = pool
            .all_messages()
            .filter(|m| m.name() == message)
            .collect();
        match &named[..] {
            [one] => Ok(ProtoMessage(one.clone())),
            [] => Err(format!("no message {message:?} in the .proto files")),
            _ => Err(format!(
                "several messages are named {message:?}: give its full name with the package"
            )),
        }
    }

    pub fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        let message = DynamicMessage::decode(self.0.clone(), payload)
            .map_err(|e| format!("not a {}: {e}", self.0.full_name()))?;
        let options = SerializeOptions::new()
            .stringify_64_bit_integers(false)
            .use_proto_field_name(true);
        message
            .serialize_with_options(serde_json::value::Serializer, &options)
            .map_err(|e| e.to_string())
    }

    pub fn encode(&self, json: &Value) -> Result<Vec<u8>, String> {
        let options = DeserializeOptions::new().deny_unknown_fields(true);
        let message = DynamicMessage::deserialize_with_options(self.0.clone(), json, &options)
            .map_err(|e| format!("not a {}: {e}", self.0.full_name()))?;
        Ok(message.encode_to_vec())
    }
}
