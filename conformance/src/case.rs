//! The case model: a stable dotted id, what the case checks and where the rule comes from, what
//! it needs from the server, the official suite case it corresponds to, and its async body.

use crate::config::{Capability, Server};
use crate::context::Ctx;
use crate::failure::CaseResult;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;

/// How binding the rule is: a broken MUST fails the case, a broken SHOULD is `non-strict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Level {
    /// RFC 2119 MUST.
    #[serde(rename = "MUST")]
    Must,
    /// RFC 2119 SHOULD (and Node behaviours the spec leaves open).
    #[serde(rename = "SHOULD")]
    Should,
}

impl Level {
    /// `MUST` / `SHOULD`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        }
    }
}

/// Where the rule is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SpecRef {
    /// The document (see the constants below).
    pub document: &'static str,
    /// The section, or the stable tag of an observed behaviour.
    pub section: &'static str,
}

/// The Engine.IO protocol v4 document.
pub const EIO_SPEC: &str = "engine.io-protocol v4 README";
/// The Socket.IO protocol v5 document.
pub const SIO_SPEC: &str = "socket.io-protocol v5 Readme";
/// Behaviour observed on the official Node server (recorded in fixtures/transcripts/); the
/// section is the behaviour's stable tag. Rules that findings cite are in [`crate::catalogue`].
pub const NOTES: &str = "observed Node behaviour";
/// The server contract (fixtures/CONTRACT.md).
pub const CONTRACT: &str = "fixtures/CONTRACT.md";

/// The official suite case a case corresponds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Official {
    /// `engine.io-protocol` or `socket.io-protocol`.
    pub suite: &'static str,
    /// The mocha path and title, joined with ` › `.
    pub name: &'static str,
}

impl Official {
    /// `suite › name`.
    pub fn full(&self) -> String {
        format!("{} › {}", self.suite, self.name)
    }
}

/// A boxed future borrowing the context.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A case body: an async function over the context.
pub type Body = for<'a> fn(&'a mut Ctx) -> BoxFuture<'a, CaseResult>;

/// Turns `async fn name(cx: &mut Ctx) -> CaseResult` into a [`Body`].
#[macro_export]
macro_rules! body {
    ($f:path) => {{
        fn run(
            cx: &mut $crate::context::Ctx,
        ) -> $crate::case::BoxFuture<'_, $crate::failure::CaseResult> {
            Box::pin($f(cx))
        }
        run as $crate::case::Body
    }};
}

/// One conformance case.
#[derive(Clone)]
pub struct Case {
    /// Stable dotted id (`eio.handshake.polling.open`); the filter selector and report key.
    pub id: &'static str,
    /// One sentence.
    pub title: &'static str,
    /// Where the rule comes from.
    pub spec: SpecRef,
    /// MUST or SHOULD.
    pub level: Level,
    /// Free tags: transport and feature (`polling`, `websocket`, `heartbeat`, `binary`, …).
    pub tags: Vec<&'static str>,
    /// The contract server the case talks to.
    pub server: Server,
    /// Capabilities needed beyond the server's own.
    pub requires: Vec<Capability>,
    /// The official suite case, if the case is one of theirs.
    pub official: Option<Official>,
    /// Set when the Node oracle is known not to meet this (SHOULD) case, with the reason.
    pub node_differs: Option<&'static str>,
    /// Set when the case cannot be run by design (a transcript the replayer cannot reproduce),
    /// with the reason: the case is reported `unsupported` against every target.
    pub unsupported_because: Option<&'static str>,
    /// Set when the case cannot keep a session alive far from the server, with the reason: it
    /// is reported `unsupported` when [`crate::config::Settings::too_far_for_step_by_step`].
    pub near_only: Option<&'static str>,
    /// Runs alone (no other case at the same time): for cases that broadcast to every socket of
    /// a namespace they share with other cases, or use room names other cases may use.
    pub exclusive: bool,
    /// The script.
    pub body: Body,
}

impl Case {
    /// A MUST case on the Engine.IO echo server with an empty spec section; refine with the builders.
    pub fn new(id: &'static str, title: &'static str, body: Body) -> Case {
        Case {
            id,
            title,
            spec: SpecRef {
                document: EIO_SPEC,
                section: "",
            },
            level: Level::Must,
            tags: Vec::new(),
            server: Server::EioEcho,
            requires: Vec::new(),
            official: None,
            node_differs: None,
            unsupported_because: None,
            near_only: None,
            exclusive: false,
            body,
        }
    }

    /// Sets the spec reference.
    pub fn spec(mut self, document: &'static str, section: &'static str) -> Case {
        self.spec = SpecRef { document, section };
        self
    }

    /// Makes the case SHOULD-level.
    pub fn should(mut self) -> Case {
        self.level = Level::Should;
        self
    }

    /// Adds tags.
    pub fn tags(mut self, tags: &[&'static str]) -> Case {
        self.tags.extend_from_slice(tags);
        self
    }

    /// Sets the server.
    pub fn server(mut self, server: Server) -> Case {
        self.server = server;
        self
    }

    /// Adds a required capability.
    pub fn requires(mut self, capability: Capability) -> Case {
        self.requires.push(capability);
        self
    }

    /// Links the official suite case.
    pub fn official(mut self, suite: &'static str, name: &'static str) -> Case {
        self.official = Some(Official { suite, name });
        self
    }

    /// Records that Node does not meet this SHOULD case, and why.
    pub fn node_differs(mut self, reason: &'static str) -> Case {
        self.node_differs = Some(reason);
        self
    }

    /// Marks a replay case whose transcript cannot be reproduced, with the reason.
    pub fn not_replayable(mut self, why: &'static str) -> Case {
        self.unsupported_because = Some(why);
        self
    }

    /// Marks a case that needs the server near (see [`Case::near_only`]), with the reason.
    pub fn near_only(mut self, why: &'static str) -> Case {
        self.near_only = Some(why);
        self
    }

    /// Makes the case run alone (see [`Case::exclusive`]).
    pub fn alone(mut self) -> Case {
        self.exclusive = true;
        self
    }

    /// Every capability the case needs: its server's and the extra ones.
    pub fn capabilities(&self) -> Vec<Capability> {
        let mut all = vec![self.server.capability()];
        all.extend(self.requires.iter().copied());
        all
    }
}
