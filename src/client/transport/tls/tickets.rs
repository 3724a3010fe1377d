//! A session store with room for a TLS 1.3 ticket per connection: rustls'
//! own keeps 8 tickets per server name, enough for one client that comes
//! back, too few for a load whose thousands of connections to one broker
//! come back at once (a ticket serves one handshake only).

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue,
};
use rustls::NamedGroup;
use rustls_pki_types::ServerName;

/// rustls' own store for what needs one entry per server (the key exchange
/// it chose, a TLS 1.2 session, which serves many handshakes), and the TLS
/// 1.3 tickets apart, as many as asked for.
#[derive(Debug)]
pub(super) struct SessionTickets {
    others: ClientSessionMemoryCache,
    tickets: Mutex<Tickets<Tls13ClientSessionValue>>,
}

impl SessionTickets {
    /// A store for at most `capacity` TLS 1.3 tickets, of any server names.
    pub(super) fn new(capacity: usize) -> SessionTickets {
        SessionTickets {
            // A load connects to a broker or two (a redirect): a few names.
            others: ClientSessionMemoryCache::new(64),
            tickets: Mutex::new(Tickets::new(capacity)),
        }
    }

    fn tickets(&self) -> std::sync::MutexGuard<'_, Tickets<Tls13ClientSessionValue>> {
        self.tickets.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ClientSessionStore for SessionTickets {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.others.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.others.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.others.set_tls12_session(server_name, value);
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        self.others.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.others.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        self.tickets().insert(server_name, value);
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        self.tickets().take(server_name)
    }
}

/// Tickets by server name, oldest first, at most `capacity` of them: a new
/// one pushes the oldest out, as the oldest is the first to expire.
#[derive(Debug)]
struct Tickets<T> {
    capacity: usize,
    queue: VecDeque<(ServerName<'static>, T)>,
}

impl<T> Tickets<T> {
    fn new(capacity: usize) -> Tickets<T> {
        Tickets {
            capacity,
            // Grows as tickets come: a store sized for a load that never
            // comes back costs nothing.
            queue: VecDeque::new(),
        }
    }

    fn insert(&mut self, server_name: ServerName<'static>, ticket: T) {
        if self.capacity == 0 {
            return;
        }
        if self.queue.len() == self.capacity {
            self.queue.pop_front();
        }
        self.queue.push_back((server_name, ticket));
    }

    /// The newest ticket for `server_name`, which no one else gets: a TLS 1.3
    /// ticket used twice would let an observer link the two connections.
    fn take(&mut self, server_name: &ServerName<'_>) -> Option<T> {
        // Searched from the newest: with one broker, the first one looked at.
        let at = self
            .queue
            .iter()
            .rposition(|(name, _)| name == server_name)?;
        self.queue.remove(at).map(|(_, ticket)| ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> ServerName<'static> {
        ServerName::try_from(text.to_string()).unwrap()
    }

    #[test]
    fn each_ticket_is_taken_once_newest_first() {
        let mut tickets = Tickets::new(10);
        for n in 1..=3 {
            tickets.insert(name("broker"), n);
        }
        assert_eq!(tickets.take(&name("broker")), Some(3));
        assert_eq!(tickets.take(&name("broker")), Some(2));
        assert_eq!(tickets.take(&name("broker")), Some(1));
        assert_eq!(tickets.take(&name("broker")), None);
    }

    #[test]
    fn a_full_store_drops_its_oldest_ticket_of_any_server() {
        let mut tickets = Tickets::new(3);
        tickets.insert(name("a"), 1);
        for n in 2..=4 {
            tickets.insert(name("b"), n);
        }
        assert_eq!(tickets.take(&name("a")), None);
        assert_eq!(tickets.queue.len(), 3);
    }

    #[test]
    fn tickets_of_one_server_are_not_given_to_another() {
        let mut tickets = Tickets::new(4);
        tickets.insert(name("a"), 1);
        tickets.insert(name("b"), 2);
        tickets.insert(name("a"), 3);
        assert_eq!(tickets.take(&name("b")), Some(2));
        assert_eq!(tickets.take(&name("b")), None);
        assert_eq!(tickets.take(&name("a")), Some(3));
    }

    #[test]
    fn a_store_of_no_tickets_keeps_none() {
        let mut tickets = Tickets::new(0);
        tickets.insert(name("a"), 1);
        assert_eq!(tickets.take(&name("a")), None);
    }

    #[test]
    fn thousands_of_tickets_fit_where_rustls_keeps_eight() {
        let mut tickets = Tickets::new(10_000);
        for n in 0..20_000 {
            tickets.insert(name("broker"), n);
        }
        let taken = std::iter::from_fn(|| tickets.take(&name("broker"))).count();
        assert_eq!(taken, 10_000);
    }
}
