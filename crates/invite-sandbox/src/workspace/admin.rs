//! The workspace surface's seed section and admin actions (accept, decline and expire
//! invites; switch Enterprise, Workspace seats and scopes; add members; mark them
//! SCIM-managed).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::model::{SITE_ROLES, string_list};
use super::{Access, Invite, Member, Store, Workspace};
use crate::admin::{email_arg, flag_arg, unsupported};
use crate::clock::now;
use crate::email::{norm_email, same_email};
use crate::ids::object_id;
use crate::seed::email_field;
use crate::surface::AdminError;

impl Store {
    pub(super) fn add_member(&mut self, v: &Value) -> Result<Member, String> {
        let o = v.as_object().ok_or("a member must be an object")?;
        let email = email_field(o, "a member needs a valid `email`")?;
        let key = norm_email(email);
        if self.members.iter().any(|m| norm_email(&m.email) == key) {
            return Err(format!("{email} is already a member"));
        }
        let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
        let role = s("role").unwrap_or_else(|| "member".to_owned());
        if !["admin", "member", "reviewer", "guest", "client"].contains(&role.as_str()) {
            return Err(format!("unsupported member role `{role}`"));
        }
        let default_site = match role.as_str() {
            "admin" => Some("site_manager".to_owned()),
            "client" | "guest" => s("defaultSiteRole"),
            "reviewer" => Some("reviewer".to_owned()),
            _ => Some(s("defaultSiteRole").unwrap_or_else(|| "designer".to_owned())),
        };
        let default_id = s("defaultSiteRoleId");
        if let Some(r) = &default_site
            && !SITE_ROLES.contains(&r.as_str())
        {
            return Err(format!("unsupported defaultSiteRole `{r}`"));
        }
        let m = Member {
            id: object_id(),
            email: email.trim().to_owned(),
            first_name: s("firstName"),
            last_name: s("lastName"),
            all_sites: role != "client",
            role,
            default_site_role: default_site,
            default_site_role_id: default_id,
            added_on: now(),
            scim_managed: o
                .get("scimManaged")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            access: BTreeMap::new(),
        };
        self.members.push(m.clone());
        Ok(m)
    }

    pub(super) fn load_seed(&mut self, seed: &Value) -> Result<(), String> {
        let o = seed
            .as_object()
            .ok_or("the workspace section must be an object")?;
        for (k, v) in o {
            match k.as_str() {
                "enterprise" => {
                    self.enterprise = v.as_bool().ok_or("`enterprise` must be a boolean")?
                }
                "workspaceSeats" => {
                    self.workspace_seats =
                        v.as_bool().ok_or("`workspaceSeats` must be a boolean")?;
                }
                "scopes" => {
                    self.scopes = string_list(v).ok_or("`scopes` must be an array of strings")?
                }
                "members" => {
                    for m in v.as_array().ok_or("`members` must be an array")? {
                        self.add_member(m)?;
                    }
                }
                "invites" => {
                    for i in v.as_array().ok_or("`invites` must be an array")? {
                        let i = i.as_object().ok_or("an invite must be an object")?;
                        let email = email_field(i, "an invite needs a valid `email`")?;
                        let s = |k: &str| i.get(k).and_then(Value::as_str).map(str::to_owned);
                        let status = match s("status").as_deref() {
                            None | Some("pending") => "pending",
                            Some("declined") => "declined",
                            Some("expired") => "expired",
                            Some(other) => return Err(format!("unknown invite status `{other}`")),
                        };
                        self.invites.push(Invite {
                            id: object_id(),
                            email: email.trim().to_owned(),
                            role: s("role").unwrap_or_else(|| "member".to_owned()),
                            created_on: now(),
                            status,
                            sites: Vec::new(),
                            all_sites: true,
                            default_site_role: Some(
                                s("defaultSiteRole").unwrap_or_else(|| "designer".to_owned()),
                            ),
                            default_site_role_id: s("defaultSiteRoleId"),
                        });
                    }
                }
                other => return Err(format!("unknown workspace seed field `{other}`")),
            }
        }
        Ok(())
    }

    /// Moves the pending invite of `email` to `status`, or accepts it (`None`).
    fn settle_invite(
        &mut self,
        email: &str,
        status: Option<&'static str>,
    ) -> Result<Value, AdminError> {
        let idx = self
            .invites
            .iter()
            .position(|i| same_email(&i.email, email))
            .ok_or_else(|| AdminError::NotFound(format!("no workspace invite for {email}")))?;
        let current = self.invites.get(idx).map_or("pending", |i| i.status);
        if current != "pending" {
            return Err(AdminError::BadRequest(format!(
                "the invite for {email} is {current}; only pending invites can change"
            )));
        }
        if let Some(s) = status {
            if let Some(i) = self.invites.get_mut(idx) {
                i.status = s;
            }
            return Ok(json!({ "status": s }));
        }
        let i = self.invites.remove(idx);
        let access = if i.all_sites {
            BTreeMap::new()
        } else {
            i.sites
                .iter()
                .map(|s| {
                    (
                        s.clone(),
                        Access::Granted {
                            role: i.default_site_role.clone().unwrap_or_default(),
                            role_id: i.default_site_role_id.clone(),
                        },
                    )
                })
                .collect()
        };
        let m = Member {
            id: object_id(),
            email: i.email,
            first_name: None,
            last_name: None,
            role: i.role,
            default_site_role: i.default_site_role,
            default_site_role_id: i.default_site_role_id,
            all_sites: i.all_sites,
            added_on: now(),
            scim_managed: false,
            access,
        };
        let out = m.workspace_json(self.workspace_seats);
        self.members.push(m);
        Ok(json!({ "status": "active", "member": out }))
    }
}

/// The workspace admin actions (`POST /_sandbox/workspace/{action}`).
pub(super) fn admin_action(
    ws: &Workspace,
    action: &str,
    body: &Value,
) -> Result<Value, AdminError> {
    let email = || email_arg(body);
    let flag = |k: &str| flag_arg(body, k);
    let mut store = ws.store.lock();
    match action {
        "accept" => store.settle_invite(email()?, None),
        "decline" => store.settle_invite(email()?, Some("declined")),
        "expire" => store.settle_invite(email()?, Some("expired")),
        "enterprise" => {
            let on = flag("enterprise")?;
            store.enterprise = on;
            Ok(json!({ "enterprise": on }))
        }
        "seats" => {
            let on = flag("workspaceSeats")?;
            store.workspace_seats = on;
            Ok(json!({ "workspaceSeats": on }))
        }
        "scopes" => {
            let scopes = body.get("scopes").and_then(string_list).ok_or_else(|| {
                AdminError::BadRequest("`scopes` must be an array of strings".to_owned())
            })?;
            store.scopes = scopes.clone();
            Ok(json!({ "scopes": scopes }))
        }
        "member" => {
            let m = store.add_member(body).map_err(AdminError::BadRequest)?;
            Ok(m.workspace_json(true))
        }
        "scim-managed" => {
            let email = email()?;
            let managed = flag("managed")?;
            let m = store
                .members
                .iter_mut()
                .find(|m| same_email(&m.email, email));
            let m =
                m.ok_or_else(|| AdminError::NotFound(format!("no workspace member {email}")))?;
            m.scim_managed = managed;
            Ok(json!({ "id": m.id, "scimManaged": managed }))
        }
        other => Err(unsupported(
            "workspace",
            other,
            "supported: accept, decline, expire, enterprise, seats, scopes, member, scim-managed",
        )),
    }
}
