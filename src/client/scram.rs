//! SCRAM, the client's side (RFC 5802; SHA-256 from RFC 7677, SHA-512 the
//! same way): the messages of MQTT 5 enhanced authentication with the
//! `SCRAM-SHA-1`, `SCRAM-SHA-256` and `SCRAM-SHA-512` methods, as EMQX takes
//! them. Pure: bytes in, bytes out; the handshake carries them in CONNECT,
//! AUTH and CONNACK.
//!
//! The client proves it knows the password without sending it, and the
//! server proves it knows it too: a server signature that does not verify
//! ends the exchange. Channel binding is not used (the `n,,` header).
//! Passwords are taken as they are, without SASLprep: the same bytes a
//! server that was given the same text derives its keys from.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ring::{digest, hmac, pbkdf2};

/// The SCRAM methods, by the names MQTT's Authentication Method carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Sha1,
    Sha256,
    Sha512,
}

/// What went wrong in an exchange, for the person reading the error line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScramError {
    #[error("the server's SCRAM message is malformed: {0}")]
    Malformed(&'static str),
    #[error("the server's nonce does not extend ours")]
    NonceMismatch,
    #[error("the server asks for {0} iterations, more than mqtk computes")]
    TooManyIterations(u32),
    #[error("the server refused the proof: {0}")]
    Refused(String),
    #[error("the server could not prove it knows the password (its signature does not verify)")]
    ServerNotVerified,
}

/// The most PBKDF2 iterations a server may ask for: far above what servers
/// use (4,096 to some hundred thousand), low enough that a hostile one
/// cannot make the client compute for minutes.
const MAX_ITERATIONS: u32 = 10_000_000;

impl Mechanism {
    /// The method's name, as in MQTT's Authentication Method.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Sha1 => "SCRAM-SHA-1",
            Mechanism::Sha256 => "SCRAM-SHA-256",
            Mechanism::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// The mechanism a method name stands for; `None` for any other method.
    pub fn from_name(name: &str) -> Option<Mechanism> {
        [Mechanism::Sha1, Mechanism::Sha256, Mechanism::Sha512]
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    fn hmac_algorithm(self) -> hmac::Algorithm {
        match self {
            Mechanism::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Mechanism::Sha256 => hmac::HMAC_SHA256,
            Mechanism::Sha512 => hmac::HMAC_SHA512,
        }
    }

    fn pbkdf2_algorithm(self) -> pbkdf2::Algorithm {
        match self {
            Mechanism::Sha1 => pbkdf2::PBKDF2_HMAC_SHA1,
            Mechanism::Sha256 => pbkdf2::PBKDF2_HMAC_SHA256,
            Mechanism::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
        }
    }

    fn digest_algorithm(self) -> &'static digest::Algorithm {
        match self {
            Mechanism::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Mechanism::Sha256 => &digest::SHA256,
            Mechanism::Sha512 => &digest::SHA512,
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        let key = hmac::Key::new(self.hmac_algorithm(), key);
        hmac::sign(&key, data).as_ref().to_vec()
    }
}

/// The GS2 header: no channel binding, no authorization identity.
const GS2_HEADER: &str = "n,,";

/// One exchange, from the client's first message to the server's last.
#[derive(Debug, Clone)]
pub struct ScramClient {
    mechanism: Mechanism,
    password: Vec<u8>,
    client_nonce: String,
    client_first_bare: String,
    /// The server key and the auth message, once known: the server's final
    /// message must carry their HMAC.
    server_proof: Option<(Vec<u8>, String)>,
}

impl ScramClient {
    /// An exchange for `username` and `password` with the client nonce
    /// `nonce` (printable, without commas: see [`nonce`]).
    pub fn new(mechanism: Mechanism, username: &str, password: &[u8], nonce: &str) -> ScramClient {
        ScramClient {
            mechanism,
            password: password.to_vec(),
            client_nonce: nonce.to_string(),
            client_first_bare: format!("n={},r={nonce}", sasl_name(username)),
            server_proof: None,
        }
    }

    /// The mechanism of this exchange.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The client's first message: the CONNECT's Authentication Data.
    pub fn client_first(&self) -> Vec<u8> {
        format!("{GS2_HEADER}{}", self.client_first_bare).into_bytes()
    }

    /// The client's final message, with its proof, for the server's first:
    /// the Authentication Data of the AUTH that continues (0x18).
    pub fn client_final(&mut self, server_first: &[u8]) -> Result<Vec<u8>, ScramError> {
        let server_first =
            std::str::from_utf8(server_first).map_err(|_| ScramError::Malformed("not UTF-8"))?;
        let fields = Fields::parse(server_first)?;
        let nonce = fields.get('r').ok_or(ScramError::Malformed("no nonce"))?;
        if !nonce.starts_with(&self.client_nonce) || nonce.len() == self.client_nonce.len() {
            return Err(ScramError::NonceMismatch);
        }
        let salt = fields.get('s').ok_or(ScramError::Malformed("no salt"))?;
        let salt = BASE64
            .decode(salt)
            .map_err(|_| ScramError::Malformed("the salt is not base64"))?;
        let iterations: u32 = fields
            .get('i')
            .and_then(|i| i.parse().ok())
            .filter(|&i| i > 0)
            .ok_or(ScramError::Malformed("no iteration count"))?;
        if iterations > MAX_ITERATIONS {
            return Err(ScramError::TooManyIterations(iterations));
        }

        let m = self.mechanism;
        let mut salted = vec![0; m.digest_algorithm().output_len()];
        pbkdf2::derive(
            m.pbkdf2_algorithm(),
            std::num::NonZeroU32::new(iterations).expect("checked above"),
            &salt,
            &self.password,
            &mut salted,
        );
        let client_key = m.hmac(&salted, b"Client Key");
        let stored_key = digest::digest(m.digest_algorithm(), &client_key);
        let without_proof = format!("c={},r={nonce}", BASE64.encode(GS2_HEADER));
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let client_signature = m.hmac(stored_key.as_ref(), auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = m.hmac(&salted, b"Server Key");
        let client_final = format!("{without_proof},p={}", BASE64.encode(proof));
        self.server_proof = Some((server_key, auth_message));
        Ok(client_final.into_bytes())
    }

    /// Checks the server's final message (the CONNACK's, or a success AUTH's,
    /// Authentication Data): its signature proves it knows the password.
    pub fn verify_server_final(&self, server_final: &[u8]) -> Result<(), ScramError> {
        let server_final =
            std::str::from_utf8(server_final).map_err(|_| ScramError::Malformed("not UTF-8"))?;
        let fields = Fields::parse(server_final)?;
        if let Some(error) = fields.get('e') {
            return Err(ScramError::Refused(error.to_string()));
        }
        let signature = fields
            .get('v')
            .and_then(|v| BASE64.decode(v).ok())
            .ok_or(ScramError::Malformed("no server signature"))?;
        let Some((server_key, auth_message)) = &self.server_proof else {
            return Err(ScramError::ServerNotVerified);
        };
        // ring compares the signatures in constant time.
        let key = hmac::Key::new(self.mechanism.hmac_algorithm(), server_key);
        hmac::verify(&key, auth_message.as_bytes(), &signature)
            .map_err(|_| ScramError::ServerNotVerified)
    }
}

/// A fresh client nonce: 18 random bytes in base64 (24 printable characters,
/// none of them a comma).
pub fn nonce() -> String {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 18];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system's random source");
    BASE64.encode(bytes)
}

/// A user name as SCRAM writes it: `=` and `,` escaped.
fn sasl_name(username: &str) -> String {
    username.replace('=', "=3D").replace(',', "=2C")
}

/// The `x=value` attributes of a SCRAM message.
struct Fields<'a>(Vec<(char, &'a str)>);

impl<'a> Fields<'a> {
    fn parse(message: &'a str) -> Result<Fields<'a>, ScramError> {
        message
            .split(',')
            .map(|field| {
                let mut chars = field.chars();
                match (chars.next(), chars.next()) {
                    (Some(name), Some('=')) if name.is_ascii_alphabetic() => {
                        Ok((name, &field[2..]))
                    }
                    _ => Err(ScramError::Malformed(
                        "an attribute is not of the form x=value",
                    )),
                }
            })
            .collect::<Result<_, _>>()
            .map(Fields)
    }

    fn get(&self, name: char) -> Option<&'a str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exchange of RFC 5802 §5 (SCRAM-SHA-1) and RFC 7677 §3 (SCRAM-SHA-256), for the
    /// user "user" with the password "pencil".
    fn rfc_exchange(
        mechanism: Mechanism,
        client_nonce: &str,
        server_first: &str,
        client_final: &str,
        server_final: &str,
    ) {
        let mut client = ScramClient::new(mechanism, "user", b"pencil", client_nonce);
        assert_eq!(
            String::from_utf8(client.client_first()).unwrap(),
            format!("n,,n=user,r={client_nonce}")
        );
        let ours = client.client_final(server_first.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(ours).unwrap(), client_final);
        assert_eq!(client.verify_server_final(server_final.as_bytes()), Ok(()));
        assert_eq!(
            client.verify_server_final(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            Err(ScramError::ServerNotVerified)
        );
    }

    #[test]
    fn the_rfc_5802_sha1_exchange() {
        rfc_exchange(
            Mechanism::Sha1,
            "fyko+d2lbbFgONRv9qkxdawL",
            "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
            "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
        );
    }

    #[test]
    fn the_rfc_7677_sha256_exchange() {
        rfc_exchange(
            Mechanism::Sha256,
            "rOprNGfwEbeRWgbNEkqO",
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
        );
    }

    #[test]
    fn a_server_that_does_not_extend_our_nonce_or_refuses_is_an_error() {
        let mut client = ScramClient::new(Mechanism::Sha256, "user", b"pencil", "abc");
        assert_eq!(
            client.client_final(b"r=xyz123,s=QSXCR+Q6sek8bf92,i=4096"),
            Err(ScramError::NonceMismatch)
        );
        assert_eq!(
            client.client_final(b"r=abc,s=QSXCR+Q6sek8bf92,i=4096"),
            Err(ScramError::NonceMismatch),
            "the server must add a nonce of its own"
        );
        assert_eq!(
            client.client_final(b"r=abcdef,s=QSXCR+Q6sek8bf92,i=4294967295"),
            Err(ScramError::TooManyIterations(u32::MAX))
        );
        assert!(matches!(
            client.client_final(b"r=abcdef,s=@@@,i=4096"),
            Err(ScramError::Malformed(_))
        ));
        assert_eq!(
            client.verify_server_final(b"e=invalid-proof"),
            Err(ScramError::Refused("invalid-proof".into()))
        );
    }

    #[test]
    fn names_nonces_and_methods() {
        assert_eq!(sasl_name("a=b,c"), "a=3Db=2Cc");
        let (one, two) = (nonce(), nonce());
        assert_eq!(one.len(), 24);
        assert_ne!(one, two);
        assert!(!one.contains(','));
        assert_eq!(
            Mechanism::from_name("scram-sha-512"),
            Some(Mechanism::Sha512)
        );
        assert_eq!(Mechanism::from_name("PLAIN"), None);
    }
}
