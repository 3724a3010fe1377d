//! The arguments of `mqtk broker`.

use clap::Args;

/// Arguments of `mqtk broker`.
#[derive(Debug, Args)]
pub struct BrokerArgs {
    /// Address to listen on: a name or an IP address, 0.0.0.0 (or ::) for every interface
    #[arg(short = 'h', long, default_value = "127.0.0.1")]
    pub host: String,

    /// Port of the MQTT 3.1.1 listener; MQTT 5 listens on the next one; 0 for two free ports
    #[arg(short = 'p', long, default_value_t = 1883)]
    pub port: u16,

    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}
