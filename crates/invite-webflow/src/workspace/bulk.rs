//! The bulk calls (update roles, remove members and cancel invites) and their reports: one
//! outcome per id, never a blanket success
//! (docs/vendors/webflow-workspace.md#trap-bulk-200-with-failures).

use std::collections::HashSet;

use invite_core::http::Request;
use invite_core::{Error, Result, UserId, VendorDetail};
use serde_json::Value;

use super::errors::map_code;
use super::ids::WorkspaceUserRef;
use super::provider::{MAX_BULK_IDS, Workspace};
use super::roles::RoleAssignment;
use super::wire;

const BULK: &str = "/workspaces/{}/members/bulk";

/// What happened to one id of a bulk call.
#[derive(Debug)]
#[non_exhaustive]
pub enum BulkOutcome {
    /// Done; `outcome` is Webflow's word for it (`updated`, `removed`, …).
    Done {
        /// Webflow's `outcome` value.
        outcome: String,
    },
    /// Failed, with the item's own error (its vendor code and message), or the error of
    /// the whole request when Webflow refused the chunk this id was in.
    Failed(Error),
    /// Webflow's answer named no result for this id: its outcome is unknown, and it is
    /// counted as a failure.
    NoResult,
}

/// One id of a bulk call and its outcome.
#[derive(Debug)]
pub struct BulkItem {
    /// The member or invite.
    pub target: WorkspaceUserRef,
    /// What happened to it.
    pub outcome: BulkOutcome,
}

impl BulkItem {
    /// True when this id's change was made.
    pub fn succeeded(&self) -> bool {
        matches!(self.outcome, BulkOutcome::Done { .. })
    }
}

/// The report of [`Workspace::bulk_update_roles`] or
/// [`Workspace::bulk_remove`]: one item per distinct id, in request order.
///
/// Webflow answers 200 even when items failed; this report is therefore **not** a success by
/// itself. Inspect [`BulkReport::failed`] or call [`BulkReport::into_result`].
#[derive(Debug)]
pub struct BulkReport {
    /// `update_roles` or `remove`.
    pub operation: &'static str,
    /// One item per distinct id.
    pub items: Vec<BulkItem>,
    /// Webflow's `summary` of each chunk of up to 100 ids, untouched.
    pub summaries: Vec<Value>,
    /// Failures the summaries count but the results do not name (should be 0).
    pub unexplained_failures: u64,
}

impl BulkReport {
    /// The ids whose change was made.
    pub fn succeeded(&self) -> impl Iterator<Item = &WorkspaceUserRef> {
        self.items
            .iter()
            .filter(|i| i.succeeded())
            .map(|i| &i.target)
    }

    /// The items that failed or have no result.
    pub fn failed(&self) -> impl Iterator<Item = &BulkItem> {
        self.items.iter().filter(|i| !i.succeeded())
    }

    /// True when every id succeeded.
    pub fn is_success(&self) -> bool {
        self.unexplained_failures == 0 && self.items.iter().all(BulkItem::succeeded)
    }

    /// The ids that succeeded, or an error when any id failed. With one failure, that
    /// item's own error; with several, the first failure's error variant with a message
    /// listing every failed id.
    pub fn into_result(self) -> Result<Vec<WorkspaceUserRef>> {
        if self.is_success() {
            return Ok(self.items.into_iter().map(|i| i.target).collect());
        }
        let total = self.items.len();
        let mut lines = Vec::new();
        let mut first: Option<Error> = None;
        for item in self.items {
            if let BulkOutcome::Done { .. } = item.outcome {
                continue;
            }
            let line = match &item.outcome {
                BulkOutcome::Failed(e) => format!(
                    "{} [{}] {}",
                    item.target,
                    e.vendor_code().unwrap_or(e.kind_name()),
                    e.detail()
                        .and_then(|d| d.message.clone())
                        .unwrap_or_else(|| e.to_string())
                ),
                _ => format!("{}: no result in Webflow's answer", item.target),
            };
            lines.push(line);
            if first.is_none() {
                first = Some(match item.outcome {
                    BulkOutcome::Failed(e) => e,
                    _ => Error::Vendor(Box::new(VendorDetail {
                        operation: self.operation,
                        message: Some(format!("{}: no result in Webflow's answer", item.target)),
                        ..VendorDetail::default()
                    })),
                });
            }
        }
        if self.unexplained_failures > 0 {
            lines.push(format!(
                "Webflow's summary counts {} failure(s) its results do not name",
                self.unexplained_failures
            ));
        }
        let mut err = first.unwrap_or_else(|| {
            Error::Vendor(Box::new(VendorDetail {
                operation: self.operation,
                ..VendorDetail::default()
            }))
        });
        if lines.len() > 1
            && let Some(d) = err.detail_mut()
        {
            d.message = Some(format!(
                "bulk {}: {} of {total} item(s) failed: {}",
                self.operation,
                lines.len(),
                lines.join("; ")
            ));
        }
        Err(err)
    }
}

/// A copy of `e` (errors are not `Clone`): used to give every id of a refused chunk the
/// chunk's error.
pub(crate) fn replicate(e: &Error) -> Error {
    match e {
        Error::Unauthorized(d) => Error::Unauthorized(d.clone()),
        Error::Forbidden {
            missing_scope,
            detail,
        } => Error::Forbidden {
            missing_scope: missing_scope.clone(),
            detail: detail.clone(),
        },
        Error::NotFound(d) => Error::NotFound(d.clone()),
        Error::Conflict(d) => Error::Conflict(d.clone()),
        Error::RateLimited {
            retry_after,
            detail,
        } => Error::RateLimited {
            retry_after: *retry_after,
            detail: detail.clone(),
        },
        Error::Timeout(d) => Error::Timeout(d.clone()),
        Error::Transport { detail, message } => Error::Transport {
            detail: detail.clone(),
            message: message.clone(),
        },
        Error::Decode { expected, detail } => Error::Decode {
            expected: expected.clone(),
            detail: detail.clone(),
        },
        Error::Uncertain { reason, detail } => Error::Uncertain {
            reason: reason.clone(),
            detail: detail.clone(),
        },
        Error::Vendor(d) => Error::Vendor(d.clone()),
        other => Error::Vendor(Box::new(VendorDetail {
            message: Some(other.to_string()),
            ..VendorDetail::default()
        })),
    }
}

impl Workspace {
    /// Changes the role pair of many members and invites: deduplicated, sent in chunks of
    /// 100 ids (`POST …/members/bulk`). The report has one outcome per id, matched by id
    /// (not position); a 200 answer whose items partly failed is not a success
    /// ([`BulkReport::into_result`]).
    pub async fn bulk_update_roles(
        &self,
        ids: &[UserId],
        role: &RoleAssignment,
    ) -> Result<BulkReport> {
        let refs = parse_refs(ids)?;
        self.bulk_update_refs(refs, role).await
    }

    /// Removes active members and cancels invites (pending, declined or expired):
    /// deduplicated, chunks of 100 ids, `DELETE …/members/bulk` with a JSON body. The only
    /// call that cancels an invite. A 4xx answer means nothing in that chunk was removed;
    /// its ids are reported failed with that error.
    pub async fn bulk_remove(&self, ids: &[UserId]) -> Result<BulkReport> {
        let refs = parse_refs(ids)?;
        self.bulk(refs, "remove", |ids| {
            Request::delete(BULK)
                .segment(self.workspace_id.as_str())
                .json(&ids)
                .operation("bulk_remove")
        })
        .await
    }

    pub(crate) async fn bulk_update_refs(
        &self,
        refs: Vec<WorkspaceUserRef>,
        role: &RoleAssignment,
    ) -> Result<BulkReport> {
        self.bulk(refs, "update_roles", |ids| {
            Request::post(BULK)
                .segment(self.workspace_id.as_str())
                .json(&wire::BulkUpdateBody {
                    ids,
                    role: role.into(),
                })
                // Setting a role is idempotent: sending it twice changes nothing more.
                .idempotent(true)
                .operation("bulk_update")
        })
        .await
    }

    async fn bulk<F>(
        &self,
        refs: Vec<WorkspaceUserRef>,
        operation: &'static str,
        build: F,
    ) -> Result<BulkReport>
    where
        F: Fn(wire::BulkIds<'_>) -> Request,
    {
        // Dedupe (by kind and id), keeping request order.
        let mut seen = HashSet::new();
        let refs: Vec<WorkspaceUserRef> = refs
            .into_iter()
            .filter(|r| seen.insert((r.is_invite(), r.raw_id().to_owned())))
            .collect();
        if refs.is_empty() {
            return Err(Error::invalid_input("ids", "names no member or invite"));
        }
        let mut report = BulkReport {
            operation,
            items: Vec::with_capacity(refs.len()),
            summaries: Vec::new(),
            unexplained_failures: 0,
        };
        let mut first_error: Option<Error> = None;
        let mut any_chunk_ok = false;
        for chunk in refs.chunks(MAX_BULK_IDS) {
            let members: Vec<&str> = chunk
                .iter()
                .filter(|r| !r.is_invite())
                .map(WorkspaceUserRef::raw_id)
                .collect();
            let invites: Vec<&str> = chunk
                .iter()
                .filter(|r| r.is_invite())
                .map(WorkspaceUserRef::raw_id)
                .collect();
            match self
                .client
                .json::<wire::BulkResponse>(build(wire::BulkIds {
                    member_ids: &members,
                    invite_ids: &invites,
                }))
                .await
            {
                Ok(answer) => {
                    any_chunk_ok = true;
                    self.read_bulk_answer(operation, chunk, answer, &mut report);
                }
                Err(e) => {
                    for r in chunk {
                        report.items.push(BulkItem {
                            target: r.clone(),
                            outcome: BulkOutcome::Failed(replicate(&e)),
                        });
                    }
                    if first_error.is_none() {
                        first_error = Some(e);
                    }
                }
            }
        }
        match first_error {
            // Nothing was accepted at all: the request's own error says most.
            Some(e) if !any_chunk_ok => Err(e),
            _ => Ok(report),
        }
    }

    fn read_bulk_answer(
        &self,
        operation: &'static str,
        chunk: &[WorkspaceUserRef],
        answer: wire::BulkResponse,
        report: &mut BulkReport,
    ) {
        let mut named_failures: u64 = 0;
        for r in chunk {
            let kind = if r.is_invite() { "invite" } else { "member" };
            let result = answer
                .results
                .iter()
                .find(|x| x.id == r.raw_id() && x.kind.as_deref().is_none_or(|k| k == kind));
            let outcome = match result {
                None => BulkOutcome::NoResult,
                Some(x) => {
                    let failed = match x.outcome.as_deref() {
                        Some(o) => o.eq_ignore_ascii_case("failed"),
                        None => x.error.is_some(),
                    };
                    if failed {
                        named_failures += 1;
                        let e = x.error.as_ref();
                        let code = e.and_then(|e| e.code.clone());
                        let detail = Box::new(VendorDetail {
                            provider: self.client.provider().to_owned(),
                            operation: if operation == "remove" {
                                "bulk_remove"
                            } else {
                                "bulk_update"
                            },
                            status: None,
                            code: code.clone(),
                            message: Some(format!(
                                "{}{}",
                                r,
                                e.and_then(|e| e.message.as_deref())
                                    .map(|m| format!(": {m}"))
                                    .unwrap_or_default()
                            )),
                            request_id: None,
                            body_excerpt: None,
                        });
                        BulkOutcome::Failed(map_code(None, code.as_deref(), detail))
                    } else {
                        BulkOutcome::Done {
                            outcome: x.outcome.clone().unwrap_or_else(|| "done".to_owned()),
                        }
                    }
                }
            };
            report.items.push(BulkItem {
                target: r.clone(),
                outcome,
            });
        }
        if let Some(summary) = answer.summary {
            let counted = summary.get("failed").and_then(Value::as_u64).unwrap_or(0);
            report.unexplained_failures += counted.saturating_sub(named_failures);
            report.summaries.push(summary);
        }
    }
}

fn parse_refs(ids: &[UserId]) -> Result<Vec<WorkspaceUserRef>> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            WorkspaceUserRef::parse(id).map_err(|e| match e {
                Error::InvalidInput { reason, .. } => {
                    Error::invalid_input(format!("ids[{i}]"), reason)
                }
                other => other,
            })
        })
        .collect()
}
