//! PUB, XPUB, SUB and XSUB (RFC 29, libzmq `xpub.cpp`/`xsub.cpp`).
//!
//! Subscriptions travel through pipes as ZMTP 3.0 subscription messages,
//! `\x01topic` and `\x00topic`, whatever the transport: a connection's
//! reader turns 3.1 SUBSCRIBE/CANCEL commands into these, and its writer
//! turns them back into commands for 3.1 peers. So a PUB reads its peers'
//! subscriptions from their `rx` pipes, before each send (and an XPUB also
//! hands them to the application); a SUB writes its own into every `tx`.
//!
//! Filtering is at the publisher, by binary prefix of the first frame; the
//! SUB filters again so a message from before an unsubscribe, or from a
//! peer that does not filter, is not delivered.

use std::io;

use bytes::Bytes;

use super::spread;
use crate::zmq::codec::Subscription;
use crate::zmq::core::{subscribe_message, Inner};
use crate::zmq::msg::Msg;
use crate::zmq::signal::Wakeups;

/// A subscription change asked for by the application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    Subscribe,
    Unsubscribe,
}

/// Applies the subscription messages peers sent (PUB/XPUB); an XPUB
/// (`deliver`) also queues them for the application, as libzmq's XPUB
/// always presents them: `\x01topic` / `\x00topic`.
pub(super) fn take_subscriptions(inner: &mut Inner, deliver: bool, wake: &mut Wakeups) {
    let Inner { peers, pattern, .. } = inner;
    for peer in peers.iter_mut() {
        while let Some(msg) = peer.rx.pop(wake) {
            let sub = match &msg[..] {
                [body] => Subscription::from_message(body),
                _ => None,
            };
            match &sub {
                Some(Subscription::Subscribe(topic)) => peer.subscriptions.push(topic.clone()),
                Some(Subscription::Cancel(topic)) => {
                    if let Some(i) = peer.subscriptions.iter().position(|t| t == topic) {
                        peer.subscriptions.swap_remove(i);
                    }
                }
                // libzmq's XPUB passes other messages from subscribers on
                // only with XPUB_VERBOSE...; a PUB ignores them.
                None => continue,
            }
            if deliver {
                pattern.xpub_pending.push_back(msg);
            }
        }
    }
}

/// RFC 29: "SHALL silently drop the message if the queue for a subscriber
/// is full" and "SHALL NOT block on sending".
pub(super) fn pub_send(
    inner: &mut Inner,
    slot: &mut Option<Msg>,
    wake: &mut Wakeups,
    is_xpub: bool,
) -> Option<io::Result<()>> {
    take_subscriptions(inner, is_xpub, wake);
    let msg = slot.take()?;
    spread::dist_send(inner, &msg, wake);
    Some(Ok(()))
}

pub(super) fn xpub_recv(inner: &mut Inner, wake: &mut Wakeups) -> Option<io::Result<Msg>> {
    take_subscriptions(inner, true, wake);
    inner.pattern.xpub_pending.pop_front().map(Ok)
}

/// Drops queued messages no subscription matches; true when a matching one
/// is at the head of some peer's queue.
pub(super) fn sub_ready(inner: &mut Inner, wake: &mut Wakeups) -> bool {
    let Inner { peers, pattern, .. } = inner;
    let subs = &pattern.subscriptions;
    let mut ready = false;
    for peer in peers.iter_mut() {
        while let Some(first) = peer.rx.peek_first() {
            if spread::matches(subs, &first) {
                ready = true;
                break;
            }
            peer.rx.pop(wake);
        }
    }
    ready
}

pub(super) fn sub_recv(inner: &mut Inner, wake: &mut Wakeups) -> Option<io::Result<Msg>> {
    loop {
        let (_, msg) = spread::fq_recv(inner, wake)?;
        let first: &[u8] = msg.first().map(|b| &b[..]).unwrap_or(&[]);
        if spread::matches(&inner.pattern.subscriptions, first) {
            return Some(Ok(msg));
        }
    }
}

/// XSUB: `\x01topic`/`\x00topic` from the application update our
/// subscriptions and go to every publisher; other messages go to every
/// publisher as they are.
pub(super) fn xsub_send(
    inner: &mut Inner,
    slot: &mut Option<Msg>,
    wake: &mut Wakeups,
) -> Option<io::Result<()>> {
    let msg = slot.take()?;
    if let [body] = &msg[..] {
        match Subscription::from_message(body) {
            Some(Subscription::Subscribe(topic)) => {
                set_subscription(inner, Change::Subscribe, &topic, wake);
                return Some(Ok(()));
            }
            Some(Subscription::Cancel(topic)) => {
                set_subscription(inner, Change::Unsubscribe, &topic, wake);
                return Some(Ok(()));
            }
            None => {}
        }
    }
    for peer in &inner.peers {
        // A full peer misses the message, as in `dist_send`.
        let _ = peer.tx.try_push(msg.clone(), wake);
    }
    Some(Ok(()))
}

/// SUB/XSUB: records a subscription change and tells every peer. An
/// unsubscribe from a topic we are not subscribed to does nothing.
pub(crate) fn set_subscription(
    inner: &mut Inner,
    change: Change,
    topic: &Bytes,
    wake: &mut Wakeups,
) {
    let subs = &mut inner.pattern.subscriptions;
    let flag = match change {
        Change::Subscribe => {
            subs.push(topic.clone());
            1
        }
        Change::Unsubscribe => match subs.iter().position(|t| t == topic) {
            Some(i) => {
                subs.remove(i);
                0
            }
            None => return,
        },
    };
    let msg = Msg::from(subscribe_message(flag, topic));
    for peer in &inner.peers {
        wake.push(peer.tx.force_push(msg.clone()));
    }
}
