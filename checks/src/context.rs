//! What a check can see: the target, and (online) the session that fetches facts once.

use crate::{Session, Target};
use std::sync::Arc;

pub struct Context {
    pub target: Target,
    session: Option<Arc<Session>>,
}

impl Context {
    /// A context for offline checks only: no credentials, no network.
    pub fn offline(target: Target) -> Self {
        Context {
            target,
            session: None,
        }
    }

    /// A context whose online checks use `session`; many targets may share one session.
    pub fn online(target: Target, session: Arc<Session>) -> Self {
        Context {
            target,
            session: Some(session),
        }
    }

    /// The AWS session, or `None` when running offline.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_deref()
    }
}
