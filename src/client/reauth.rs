//! SCRAM re-authentication on a live connection (MQTT 5 §4.12.1): every so
//! often the client proves the password again, AUTH 0x19 then 0x18 both
//! ways, and the broker proves it too in its AUTH 0x00, as at connect.

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::scram::{self, Mechanism, ScramClient, ScramError};
use super::{Client, ClientError, Options, Violation};
use crate::codec::{Auth, Packet, PropertyValues, ReasonCode};

/// When and how the client proves its password again.
#[derive(Debug)]
pub(super) struct Reauth {
    every: Duration,
    next: Instant,
    mechanism: Mechanism,
    username: String,
    password: Bytes,
    /// The exchange under way, once AUTH 0x19 went out.
    exchange: Option<ScramClient>,
}

impl Reauth {
    /// Re-authentication as `options` ask: with a SCRAM method and an
    /// interval, under MQTT 5.
    pub(super) fn new(options: &Options, v5: bool) -> Option<Reauth> {
        let every = options.reauthenticate_every.filter(|_| v5)?;
        let (method, _) = options.authentication.as_ref()?;
        Some(Reauth {
            every,
            next: Instant::now() + every,
            mechanism: Mechanism::from_name(method)?,
            username: options.username.clone().unwrap_or_default(),
            password: options.password.clone().unwrap_or_default(),
            exchange: None,
        })
    }

    /// An AUTH packet of this method with `reason` and `data`.
    fn auth(&self, reason: ReasonCode, data: Vec<u8>) -> Packet {
        Packet::Auth(Auth {
            reason,
            properties: PropertyValues {
                authentication_method: Some(self.mechanism.name().to_string()),
                authentication_data: Some(Bytes::from(data)),
                ..PropertyValues::default()
            }
            .into(),
        })
    }

    fn failed(&self, cause: ScramError) -> ClientError {
        ClientError::AuthFailed {
            method: self.mechanism.name(),
            cause,
        }
    }
}

impl Client {
    /// When re-authentication next needs the client: the next one due, none
    /// while one is under way (the response timeout bounds that).
    pub(super) fn reauth_deadline(&self) -> Option<Instant> {
        self.reauth
            .as_ref()
            .filter(|r| r.exchange.is_none())
            .map(|r| r.next)
    }

    /// Starts a re-authentication when one is due.
    pub(super) fn reauthenticate_if_due(&mut self) -> Result<(), ClientError> {
        let Some(reauth) = self.reauth.as_mut() else {
            return Ok(());
        };
        if reauth.exchange.is_some() || Instant::now() < reauth.next {
            return Ok(());
        }
        let exchange = ScramClient::new(
            reauth.mechanism,
            &reauth.username,
            &reauth.password,
            &scram::nonce(),
        );
        let packet = reauth.auth(ReasonCode::RE_AUTHENTICATE, exchange.client_first());
        reauth.exchange = Some(exchange);
        self.send(&packet)
    }

    /// An AUTH from the broker: the next step of the re-authentication under
    /// way, or its end.
    pub(super) fn on_auth(&mut self, auth: Auth) -> Result<(), ClientError> {
        let unexpected = || ClientError::Protocol(Violation::Unexpected { packet: "AUTH" });
        let reauth = self.reauth.as_mut().ok_or_else(unexpected)?;
        let exchange = reauth.exchange.as_mut().ok_or_else(unexpected)?;
        let data = auth
            .properties
            .authentication_data
            .clone()
            .unwrap_or_default();
        match auth.reason {
            ReasonCode::CONTINUE_AUTHENTICATION => {
                let client_final = exchange.client_final(&data).map_err(|e| reauth.failed(e))?;
                let packet = reauth.auth(ReasonCode::CONTINUE_AUTHENTICATION, client_final);
                self.send(&packet)
            }
            ReasonCode::SUCCESS => {
                exchange
                    .verify_server_final(&data)
                    .map_err(|e| reauth.failed(e))?;
                reauth.exchange = None;
                reauth.next = Instant::now() + reauth.every;
                Ok(())
            }
            _ => Err(unexpected()),
        }
    }
}
