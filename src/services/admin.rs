//! What only admins read: the lists of accounts and organizations behind the admin pages.
//! Changes go through the services that own them (accounts, organizations, targets).

use crate::auth::{policy, Principal};
use crate::db::accounts::{self, Organization};
use crate::error::ApiResult;
use crate::services::accounts::AccountView;
use crate::state::AppState;

pub async fn accounts(
    state: &AppState,
    p: &Principal,
    q: Option<&str>,
    role: Option<&str>,
) -> ApiResult<Vec<AccountView>> {
    policy::may_administer(p)?;
    let client = state.pool.get().await?;
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    let role = role.filter(|r| crate::auth::Role::parse(r).is_some());
    let list = accounts::list_accounts(&client, q, role, 200).await?;
    Ok(list.iter().map(AccountView::from).collect())
}

pub async fn organizations(state: &AppState, p: &Principal) -> ApiResult<Vec<Organization>> {
    policy::may_administer(p)?;
    let client = state.pool.get().await?;
    Ok(accounts::list_organizations(&client, 200).await?)
}
