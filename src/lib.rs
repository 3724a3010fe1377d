//! mqtk: an MQTT command-line toolkit built on its own MQTT 3.1.1 / 5.0 codec and
//! a small async client.
//!
//! Layout:
//! - [`codec`]: pure MQTT, bytes to packets and back; no I/O
//! - [`client`]: the tokio client; owns sockets, keep-alive and packet ids; knows no flags
//!   and prints nothing: its errors and notices are typed values
//! - [`cli`]: the command line, one clap definition for parsing, and the man pages and
//!   completions rendered from it (`cli::docs`)
//! - [`commands`]: one module per subcommand; they speak to the client, never to bytes, and
//!   put its errors and notices into the lines users read, with the flags that bear on them
//! - [`config`]: profiles, the TOML file whose settings become the options' defaults
//! - [`output`]: how a received message is printed
//! - [`payload`]: payload formats (Sparkplug B, CBOR, MessagePack, ...) to JSON and back; no I/O
//! - `broker`: an MQTT broker in the process (rumqttd), for `mqtk broker`; the `broker`
//!   feature, on by default

#[cfg(feature = "broker")]
pub mod broker;
pub mod cli;
pub mod client;
pub mod codec;
pub mod commands;
pub mod config;
pub mod output;
pub mod payload;
