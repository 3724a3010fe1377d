//! How a command's connection begins and ends: `--status` announcements,
//! `--end` (the ways a real device goes away) and taking a connection over.

use anyhow::bail;
use bytes::Bytes;

use super::{check_topic_name, connect, qos, require_v5, usage};
use crate::cli::{End, EndingArgs, StatusArgs};
use crate::client::{verdict, Client, Ending, Options};
use crate::codec::{ByteString, Properties, Publish, QoS, Will};

/// How a command's connection begins and ends: its `--status` announcements
/// and its `--end`.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    end: End,
    status: Option<Status>,
}

/// The `--status` announcements, resolved.
#[derive(Debug, Clone)]
struct Status {
    topic: ByteString,
    online: Bytes,
    offline: Bytes,
    qos: QoS,
}

impl Status {
    fn announcement(&self, payload: &Bytes) -> Publish {
        Publish {
            qos: self.qos,
            retain: true,
            topic: self.topic.clone(),
            payload: payload.clone(),
            ..Publish::default()
        }
    }
}

impl Lifecycle {
    /// Resolves `--end` and `--status`; the status sets the will in `options`.
    pub fn new(
        ending: &EndingArgs,
        status: &StatusArgs,
        options: &mut Options,
    ) -> anyhow::Result<Lifecycle> {
        let end = ending.end();
        check_end(end, options)?;
        let status = match &status.status {
            None => None,
            Some(topic) => {
                check_topic_name(topic, "--status")?;
                let status = Status {
                    topic: topic.as_str().into(),
                    online: Bytes::from(status.status_online.clone()),
                    offline: Bytes::from(status.status_offline.clone()),
                    qos: qos(status.status_qos),
                };
                let offline = status.announcement(&status.offline);
                options.will = Some(Will {
                    topic: offline.topic.into(),
                    payload: offline.payload,
                    qos: offline.qos,
                    retain: true,
                    properties: Properties::default(),
                });
                Some(status)
            }
        };
        Ok(Lifecycle { end, status })
    }

    /// Connects and announces the client online.
    pub async fn connect(&self, options: &Options) -> anyhow::Result<Client> {
        let mut client = connect(options).await?;
        if self.end == End::DisconnectWithWill {
            require_v5(&client, "--end disconnect-with-will")?;
        }
        self.announce_online(&mut client).await?;
        Ok(client)
    }

    /// Announces the client online, as after every (re)connection.
    pub async fn announce_online(&self, client: &mut Client) -> anyhow::Result<()> {
        match &self.status {
            Some(status) => announce(client, status.announcement(&status.online)).await,
            None => Ok(()),
        }
    }

    /// Ends the connection as `--end` says; a clean end announces the client
    /// offline first, which its will would have said otherwise.
    pub async fn end(&self, mut client: Client, options: &Options) -> anyhow::Result<()> {
        let Some(ending) = client_ending(self.end) else {
            let successor = take_over(client, options).await?;
            return Ok(successor.end(Ending::Disconnect).await?);
        };
        if let (Ending::Disconnect, Some(status)) = (ending, &self.status) {
            announce(&mut client, status.announcement(&status.offline)).await?;
        }
        Ok(client.end(ending).await?)
    }
}

/// The client's ending for `--end`; `None` for a takeover, which takes a
/// second connection.
pub(super) fn client_ending(end: End) -> Option<Ending> {
    match end {
        End::Disconnect => Some(Ending::Disconnect),
        End::DisconnectWithWill => Some(Ending::DisconnectWithWill),
        End::Close => Some(Ending::Close),
        End::Reset => Some(Ending::Reset),
        End::Silent => Some(Ending::Silent),
        End::Takeover => None,
    }
}

/// Refuses an ending the connection options cannot have.
pub(super) fn check_end(end: End, options: &Options) -> anyhow::Result<()> {
    if end == End::DisconnectWithWill && options.protocol.is_some_and(|p| !p.is_v5()) {
        return usage("--end disconnect-with-will needs MQTT 5 (-V 5)");
    }
    if end == End::Silent && options.keep_alive == 0 {
        return usage("--end silent needs a keep alive (-k) for the broker to give up on");
    }
    Ok(())
}

/// Publishes a status announcement and waits for the broker to accept it.
async fn announce(client: &mut Client, message: Publish) -> anyhow::Result<()> {
    let topic = message.topic.clone();
    let (reason, reason_string) = client.publish_and_settle(message).await?;
    if reason.is_error() {
        bail!(
            "the broker refused the status on {topic:?}: {}",
            verdict(reason, reason_string.as_deref())
        );
    }
    Ok(())
}

/// Takes a connection over by connecting again with its client identifier:
/// waits until the broker has closed the first (MQTT 5: DISCONNECT 0x8E,
/// session taken over), and returns the second, without a will.
pub async fn take_over(mut client: Client, options: &Options) -> anyhow::Result<Client> {
    let successor_options = Options {
        client_id: client.client_id().to_string(),
        will: None,
        ..options.clone()
    };
    let successor = connect(&successor_options).await?;
    let closed = async { while client.next_event().await.is_ok() {} };
    if tokio::time::timeout(options.response_timeout, closed)
        .await
        .is_err()
    {
        bail!(
            "the broker kept the first connection open after a second one took its client \
             identifier over"
        );
    }
    Ok(successor)
}
