//! Reports of the bulk calls: one outcome per id, never a blanket success.

use invite_core::{Error, VendorDetail};
use serde_json::Value;

use super::ids::WorkspaceUserRef;

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

/// The report of [`super::WebflowWorkspace::bulk_update_roles`] or
/// [`super::WebflowWorkspace::bulk_remove`]: one item per distinct id, in request order.
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
    pub fn into_result(self) -> Result<Vec<WorkspaceUserRef>, Error> {
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
