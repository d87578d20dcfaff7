//! Who may do what: every access rule of the service, in this one file.
//!
//! A caller's reach is an explicit [`Scope`]: everything (admins), a region (officers: a
//! county, prefecture or province), an organization (center and employer staff), the worker
//! themself, or nothing. `Nothing` is what any incomplete principal gets (an officer token
//! without a region, staff without an organization): no rule treats a missing value as
//! "everything".
//!
//! Each question has its own function, taking the principal and the facts it needs (the
//! household, the worker, the opening as stored), answering `Ok` or the error the caller gets.
//! Routes, pages, services and imports ask these; none of them looks at a role.
//!
//! Answers: `403 forbidden` when the caller may know the thing exists but not do this;
//! `404 not_found` when even its existence is not theirs to know.
//!
//! README's role table is this file in prose; keep them together.

use super::{Principal, Role};
use crate::db::accounts::Organization;
use crate::db::applications::{Application, FollowupContext, Placement};
use crate::db::courses::Course;
use crate::db::households::Household;
use crate::db::openings::Opening;
use crate::db::workers::Worker;
use crate::domain::application_state::Side;
use crate::domain::worker_status::StatusActor;
use crate::domain::{RegionCode, RegionFilter};
use crate::error::{ApiError, ApiResult, ErrorCode};

/// How far a caller reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Admins: the whole program.
    All,
    /// Officers: what lies inside their county, prefecture or province.
    Region(RegionCode),
    /// Center and employer staff: their organization's own things.
    Organization(i64),
    /// A worker: their own profile and what hangs off it (by account id).
    Worker(i64),
    /// Nobody's: an incomplete principal reaches nothing.
    Nothing,
}

pub fn scope(p: &Principal) -> Scope {
    match p.role {
        Role::Admin => Scope::All,
        Role::Officer => p.region.clone().map_or(Scope::Nothing, Scope::Region),
        Role::Center | Role::Employer => p
            .organization_id
            .map_or(Scope::Nothing, Scope::Organization),
        Role::Worker => Scope::Worker(p.account_id),
    }
}

impl Scope {
    /// Whether things whose home is the region `code` are inside this scope (program staff).
    pub fn holds_region(&self, code: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Region(scope) => RegionCode::parse(code).is_ok_and(|c| scope.contains(&c)),
            _ => false,
        }
    }

    pub fn is_organization(&self, id: i64) -> bool {
        *self == Scope::Organization(id)
    }

    pub fn is_worker_account(&self, account: Option<i64>) -> bool {
        matches!(self, Scope::Worker(a) if Some(*a) == account)
    }

    /// The region filter of a list of program data: program staff only.
    fn region_filter(&self) -> ApiResult<RegionFilter> {
        match self {
            Scope::All => Ok(RegionFilter::All),
            Scope::Region(r) => Ok(RegionFilter::Within(r.clone())),
            _ => Err(ApiError::forbidden()),
        }
    }
}

/// Tokens that cannot be right are refused outright: an officer is always scoped to a region.
pub fn is_well_formed(p: &Principal) -> bool {
    !(p.role == Role::Officer && p.region.is_none())
}

// Role sets for the typed extractor `Auth<R>`: the first, coarse gate of a route. Every
// service checks its own question below as well, so a page or an import calling it is held to
// the same rules.

/// A set of roles allowed to call a route.
pub trait RoleSet {
    const ROLES: &'static [Role];

    fn admit(p: &Principal) -> ApiResult<()> {
        if Self::ROLES.contains(&p.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

macro_rules! role_set {
    ($(#[$doc:meta])* $name:ident => [$($role:ident),+]) => {
        $(#[$doc])*
        pub struct $name;
        impl RoleSet for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),+];
        }
    };
}

role_set!(/// Job seekers.
    WorkerOnly => [Worker]);
role_set!(/// Training-center staff.
    CenterStaff => [Center]);
role_set!(/// Employer staff.
    EmployerStaff => [Employer]);
role_set!(/// Program staff: county, prefecture and province officers, and admins.
    OfficerOrAdmin => [Officer, Admin]);
role_set!(/// Those who organize work: employer staff and program staff (dispatches, follow-ups due).
    EmployerOrStaff => [Employer, Officer, Admin]);
role_set!(/// Admins only.
    AdminOnly => [Admin]);
role_set!(/// Anyone signed in.
    AnyUser => [Worker, Center, Employer, Officer, Admin]);

fn staff(p: &Principal) -> ApiResult<Scope> {
    OfficerOrAdmin::admit(p)?;
    Ok(scope(p))
}

fn allow(yes: bool, otherwise: fn() -> ApiError) -> ApiResult<()> {
    if yes {
        Ok(())
    } else {
        Err(otherwise())
    }
}

// Accounts -----------------------------------------------------------------------------------

/// The role of a self sign-up: job seekers only. Staff accounts come from invitations
/// (centers, employers), admins (officers) or the command line (admins).
pub const SELF_SIGN_UP_ROLE: Role = Role::Worker;

/// The role an invitation to an organization of `kind` gives.
pub fn role_for_organization(kind: &str) -> Role {
    if kind == "center" {
        Role::Center
    } else {
        Role::Employer
    }
}

/// Creating officers, disabling and enabling accounts, the index: admins.
pub fn may_administer(p: &Principal) -> ApiResult<()> {
    AdminOnly::admit(p)
}

/// Admins disable and enable accounts, but never disable their own (nobody would be left to
/// undo it).
pub fn may_set_disabled(p: &Principal, account_id: i64, disabled: bool) -> ApiResult<()> {
    may_administer(p)?;
    if disabled && account_id == p.account_id {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            "不能停用自己的账号",
            "You cannot disable your own account",
        ));
    }
    Ok(())
}

/// Only a job seeker claims a profile an office registered.
pub fn may_claim_profile(p: &Principal) -> ApiResult<()> {
    WorkerOnly::admit(p)
}

/// A worker's own profile ("me"), its matches and applications: job seekers.
pub fn may_keep_own_profile(p: &Principal) -> ApiResult<()> {
    WorkerOnly::admit(p)
}

// Organizations ------------------------------------------------------------------------------

/// Program staff register centers and employers inside their region.
pub fn may_create_organization(p: &Principal, region: &str) -> ApiResult<()> {
    allow(staff(p)?.holds_region(region), ApiError::forbidden)
}

/// Members, and staff whose region holds it.
pub fn may_read_organization(p: &Principal, org: &Organization) -> ApiResult<()> {
    let s = scope(p);
    allow(
        s.is_organization(org.id) || s.holds_region(&org.region_code),
        ApiError::not_found,
    )
}

/// The organization's own admins, and staff whose region holds it.
pub fn may_invite_to_organization(p: &Principal, org: &Organization) -> ApiResult<()> {
    allow(p.role != Role::Worker, ApiError::forbidden)?;
    may_read_organization(p, org)?;
    let s = scope(p);
    allow(
        (s.is_organization(org.id) && p.org_admin) || s.holds_region(&org.region_code),
        ApiError::forbidden,
    )
}

// Households ---------------------------------------------------------------------------------

/// Program staff register households of their region.
pub fn may_register_household(p: &Principal, county: &str) -> ApiResult<()> {
    allow(staff(p)?.holds_region(county), ApiError::forbidden)
}

pub fn may_read_household(p: &Principal, h: &Household) -> ApiResult<()> {
    allow(
        OfficerOrAdmin::admit(p).is_ok() && scope(p).holds_region(&h.county_code),
        ApiError::not_found,
    )
}

/// Changing a household: staff whose region holds it, and it must stay inside their region.
pub fn may_change_household(p: &Principal, h: &Household, new_county: &str) -> ApiResult<()> {
    may_read_household(p, h)?;
    may_register_household(p, new_county)
}

/// Rows of a household import are saved only inside the importer's region.
pub fn may_import_households(p: &Principal) -> ApiResult<()> {
    staff(p).map(|_| ())
}

pub fn household_list(p: &Principal) -> ApiResult<RegionFilter> {
    staff(p)?.region_filter()
}

// Workers ------------------------------------------------------------------------------------

/// Program staff register workers whose home is in their region.
pub fn may_register_worker(p: &Principal, home: &str) -> ApiResult<()> {
    let s = staff(p)?;
    // A malformed home is the validator's to report, with every other problem.
    allow(
        RegionCode::parse(home).is_err() || s.holds_region(home),
        ApiError::forbidden,
    )
}

/// How much of a worker a caller sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerAccess {
    /// Phone and ID number in full: admins, officers of the worker's home, the worker.
    Full,
    /// Masked, if the worker is enrolled in one of this center's courses.
    IfEnrolledWith(i64),
    /// Nothing (employers see workers through candidate lists and applications).
    None,
}

pub fn worker_access(p: &Principal, w: &Worker) -> WorkerAccess {
    match scope(p) {
        s if s.holds_region(&w.home_region) || s.is_worker_account(w.account_id) => {
            WorkerAccess::Full
        }
        Scope::Organization(org) if p.role == Role::Center => WorkerAccess::IfEnrolledWith(org),
        _ => WorkerAccess::None,
    }
}

/// Replacing a worker's profile: staff of the worker's home region, or the worker themself.
pub fn may_edit_worker(p: &Principal, w: &Worker) -> ApiResult<()> {
    let s = scope(p);
    allow(
        (OfficerOrAdmin::admit(p).is_ok() && s.holds_region(&w.home_region))
            || s.is_worker_account(w.account_id),
        ApiError::not_found,
    )
}

/// Staff may not move a worker's home out of their region; a worker moves their own freely.
pub fn may_set_worker_home(p: &Principal, new_home: &str) -> ApiResult<()> {
    match scope(p) {
        Scope::Worker(_) => Ok(()),
        s => allow(
            RegionCode::parse(new_home).is_err() || s.holds_region(new_home),
            ApiError::forbidden,
        ),
    }
}

/// Linking a worker to a household (or changing the link) decides who ranks as a
/// registered-poor household and who counts for subsidies: only officers whose region holds the
/// household, and admins. Workers never.
pub fn may_link_household(p: &Principal, h: &Household) -> ApiResult<()> {
    allow(
        OfficerOrAdmin::admit(p).is_ok() && scope(p).holds_region(&h.county_code),
        || ApiError::new(ErrorCode::HouseholdLinkForbidden),
    )
}

/// Who changes a worker's status through the profile: the program, or the worker (see
/// `domain::worker_status` for what each may do).
pub fn worker_status_actor(p: &Principal) -> StatusActor {
    if OfficerOrAdmin::admit(p).is_ok() {
        StatusActor::Program
    } else {
        StatusActor::Worker
    }
}

pub fn worker_list(p: &Principal) -> ApiResult<RegionFilter> {
    staff(p)?.region_filter()
}

/// Claim codes are issued by staff of the worker's home region (whom the worker visits).
pub fn may_issue_claim_code(p: &Principal, w: &Worker) -> ApiResult<()> {
    allow(staff(p)?.holds_region(&w.home_region), ApiError::not_found)
}

// Openings and matching ----------------------------------------------------------------------

/// Employer staff post openings for their own organization: answers which.
pub fn employer_of_new_opening(p: &Principal) -> ApiResult<i64> {
    EmployerStaff::admit(p)?;
    match scope(p) {
        Scope::Organization(org) => Ok(org),
        _ => Err(ApiError::forbidden()),
    }
}

/// Open openings are for everyone signed in; drafts, filled and closed ones for their
/// employer and program staff.
pub fn may_read_opening(p: &Principal, o: &Opening) -> ApiResult<()> {
    let s = scope(p);
    allow(
        o.status == "open" || s.is_organization(o.employer_id) || OfficerOrAdmin::admit(p).is_ok(),
        ApiError::not_found,
    )
}

/// Only the employer's own staff change an opening.
pub fn may_change_opening(p: &Principal, o: &Opening) -> ApiResult<()> {
    allow(
        p.role == Role::Employer && scope(p).is_organization(o.employer_id),
        ApiError::not_found,
    )
}

/// Which openings a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpeningList {
    /// Every opening of this employer, whatever its status.
    OwnedBy(i64),
    /// Open openings only.
    Open,
}

pub fn opening_list(p: &Principal) -> OpeningList {
    match scope(p) {
        Scope::Organization(org) if p.role == Role::Employer => OpeningList::OwnedBy(org),
        _ => OpeningList::Open,
    }
}

/// Whose workers a candidate list may rank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CandidatePool {
    Everyone,
    HomeIn(RegionCode),
}

/// The opening's employer and admins see every candidate; officers those of their region.
pub fn candidate_pool(p: &Principal, o: &Opening) -> ApiResult<CandidatePool> {
    candidate_pool_of(p, o.employer_id)
}

/// `candidate_pool` for an opening known only by its employer (its searchable form).
pub fn candidate_pool_of(p: &Principal, employer_id: i64) -> ApiResult<CandidatePool> {
    match scope(p) {
        Scope::All => Ok(CandidatePool::Everyone),
        Scope::Region(r) => Ok(CandidatePool::HomeIn(r)),
        Scope::Organization(org) if p.role == Role::Employer && org == employer_id => {
            Ok(CandidatePool::Everyone)
        }
        _ => Err(ApiError::not_found()),
    }
}

// Applications -------------------------------------------------------------------------------

/// The sides `p` may act for on this application; empty when it is none of their business.
/// Officers act for the worker (many have no smartphone), employers for themselves.
pub fn application_sides(p: &Principal, a: &Application) -> Vec<Side> {
    match scope(p) {
        Scope::All => vec![Side::Worker, Side::Employer],
        Scope::Organization(org) if p.role == Role::Employer && org == a.employer_id => {
            vec![Side::Employer]
        }
        s if s.holds_region(&a.worker_home_region) => vec![Side::Worker],
        s if s.is_worker_account(a.worker_account_id) => vec![Side::Worker],
        _ => vec![],
    }
}

/// Reading an application: any party to it.
pub fn may_read_application(p: &Principal, a: &Application) -> ApiResult<Vec<Side>> {
    let sides = application_sides(p, a);
    if sides.is_empty() {
        Err(ApiError::not_found())
    } else {
        Ok(sides)
    }
}

/// The employer sees the worker's phone only once the worker applied or accepted an invitation;
/// the worker's own side always.
pub fn sees_applicant_phone(sides: &[Side], worker_consented: bool) -> bool {
    sides.contains(&Side::Worker) || worker_consented
}

/// Applying is the worker's own act.
pub fn may_apply(p: &Principal) -> ApiResult<()> {
    WorkerOnly::admit(p)
}

/// The opening's employer invites.
pub fn may_invite(p: &Principal, o: &Opening) -> ApiResult<()> {
    may_change_opening(p, o)
}

/// An opening's applications: its employer and admins.
pub fn may_list_applications(p: &Principal, o: &Opening) -> ApiResult<()> {
    let s = scope(p);
    allow(
        s == Scope::All || (p.role == Role::Employer && s.is_organization(o.employer_id)),
        ApiError::not_found,
    )
}

// Placements, follow-ups, dispatches ---------------------------------------------------------

/// Recording a placement: the employer, officers of the worker's home, admins.
pub fn may_place(p: &Principal, a: &Application) -> ApiResult<()> {
    let s = scope(p);
    allow(
        (p.role == Role::Employer && s.is_organization(a.employer_id))
            || (OfficerOrAdmin::admit(p).is_ok() && s.holds_region(&a.worker_home_region)),
        ApiError::not_found,
    )
}

/// A placement: its employer, officers of the worker's home, admins, the worker.
pub fn may_read_placement(p: &Principal, pl: &Placement, w: &Worker) -> ApiResult<()> {
    let s = scope(p);
    allow(
        (p.role == Role::Employer && s.is_organization(pl.employer_id))
            || (OfficerOrAdmin::admit(p).is_ok() && s.holds_region(&w.home_region))
            || s.is_worker_account(w.account_id),
        ApiError::not_found,
    )
}

/// Ending a placement is the employer's or the program's record, not the worker's.
pub fn may_end_placement(p: &Principal, pl: &Placement, w: &Worker) -> ApiResult<()> {
    may_read_placement(p, pl, w)?;
    allow(p.role != Role::Worker, ApiError::forbidden)
}

/// A follow-up: the employer, officers of the worker's home, admins, or the worker.
pub fn may_record_followup(p: &Principal, f: &FollowupContext) -> ApiResult<()> {
    let s = scope(p);
    allow(
        (p.role == Role::Employer && s.is_organization(f.employer_id))
            || (OfficerOrAdmin::admit(p).is_ok() && s.holds_region(&f.worker_home))
            || s.is_worker_account(f.worker_account),
        ApiError::not_found,
    )
}

/// Whose due follow-ups a caller lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowupList {
    All,
    WorkersOf(RegionCode),
    PlacementsOf(i64),
}

pub fn followup_list(p: &Principal) -> ApiResult<FollowupList> {
    match scope(p) {
        Scope::All => Ok(FollowupList::All),
        Scope::Region(r) => Ok(FollowupList::WorkersOf(r)),
        Scope::Organization(org) if p.role == Role::Employer => Ok(FollowupList::PlacementsOf(org)),
        _ => Err(ApiError::forbidden()),
    }
}

/// Dispatches are organized by employers and program staff.
pub fn may_organize_dispatch(p: &Principal, from_county: &str) -> ApiResult<()> {
    match scope(p) {
        Scope::Organization(_) if p.role == Role::Employer => Ok(()),
        s @ (Scope::All | Scope::Region(_)) => allow(
            RegionCode::parse(from_county).is_err() || s.holds_region(from_county),
            ApiError::forbidden,
        ),
        _ => Err(ApiError::forbidden()),
    }
}

/// An application travels in a caller's dispatch if it is theirs: the employer's, or of a
/// worker of the officer's region.
pub fn may_dispatch(p: &Principal, a: &Application) -> bool {
    let s = scope(p);
    (p.role == Role::Employer && s.is_organization(a.employer_id))
        || (OfficerOrAdmin::admit(p).is_ok() && s.holds_region(&a.worker_home_region))
}

// Training -----------------------------------------------------------------------------------

/// Center staff register courses for their own center: answers which.
pub fn center_of_new_course(p: &Principal) -> ApiResult<i64> {
    CenterStaff::admit(p)?;
    match scope(p) {
        Scope::Organization(org) => Ok(org),
        _ => Err(ApiError::forbidden()),
    }
}

/// Which courses a list shows. Course information is public to anyone signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CourseList {
    All,
    OfCenter(i64),
}

/// Center staff see their own center's courses; others any, or one center's if they ask.
pub fn course_list(p: &Principal, asked: Option<i64>) -> ApiResult<CourseList> {
    if p.role == Role::Center {
        return match scope(p) {
            Scope::Organization(org) => Ok(CourseList::OfCenter(org)),
            _ => Err(ApiError::forbidden()),
        };
    }
    Ok(asked.map_or(CourseList::All, CourseList::OfCenter))
}

/// Enrolling workers and recording results: the center that runs the course.
pub fn may_run_course(p: &Principal, c: &Course) -> ApiResult<()> {
    allow(
        p.role == Role::Center && scope(p).is_organization(c.center_id),
        ApiError::not_found,
    )
}

/// A course's enrollees: its center, and staff whose region holds where it is taught.
pub fn may_list_enrollments(p: &Principal, c: &Course) -> ApiResult<()> {
    let s = scope(p);
    allow(
        (p.role == Role::Center && s.is_organization(c.center_id))
            || (OfficerOrAdmin::admit(p).is_ok() && s.holds_region(&c.location_region)),
        ApiError::not_found,
    )
}

/// Graduate imports: center staff, and admins (the command line).
pub fn may_import_graduates(p: &Principal) -> ApiResult<()> {
    allow(
        p.role == Role::Center || scope(p) == Scope::All,
        ApiError::forbidden,
    )
}

/// Graduate imports: the center's own courses; admins (and the command line) any.
pub fn may_import_graduates_for(p: &Principal, c: &Course) -> bool {
    let s = scope(p);
    s == Scope::All || (p.role == Role::Center && s.is_organization(c.center_id))
}

// Reports and the audit log ------------------------------------------------------------------

/// Reports, statistics and the audit log: program staff, over their region.
pub fn report_scope(p: &Principal) -> ApiResult<RegionFilter> {
    staff(p)?.region_filter()
}

/// A report narrowed to `region`, which must lie inside the caller's.
pub fn narrowed_report_scope(p: &Principal, region: RegionCode) -> ApiResult<RegionFilter> {
    allow(staff(p)?.holds_region(region.as_str()), ApiError::forbidden)?;
    Ok(RegionFilter::Within(region))
}

/// The year's targets are set by admins; program staff read the progress of their region
/// (`report_scope`).
pub fn may_set_targets(p: &Principal) -> ApiResult<()> {
    AdminOnly::admit(p)
}

pub fn audit_scope(p: &Principal) -> ApiResult<RegionFilter> {
    staff(p)?.region_filter()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, org: Option<i64>, region: Option<&str>) -> Principal {
        Principal {
            account_id: 7,
            role,
            organization_id: org,
            org_admin: false,
            region: region.map(|r| RegionCode::parse(r).unwrap()),
            session_id: None,
            request_id: String::new(),
        }
    }

    #[test]
    fn an_incomplete_principal_reaches_nothing() {
        let officer = principal(Role::Officer, None, None);
        assert_eq!(scope(&officer), Scope::Nothing);
        assert!(!is_well_formed(&officer));
        assert!(household_list(&officer).is_err());
        assert!(report_scope(&officer).is_err());
        let employer = principal(Role::Employer, None, None);
        assert_eq!(scope(&employer), Scope::Nothing);
        assert!(followup_list(&employer).is_err());
        assert!(employer_of_new_opening(&employer).is_err());
        let center = principal(Role::Center, None, None);
        assert!(course_list(&center, None).is_err());
        assert!(center_of_new_course(&center).is_err());
    }

    #[test]
    fn regions_nest() {
        let prefecture = principal(Role::Officer, None, Some("630200"));
        let s = scope(&prefecture);
        assert!(s.holds_region("630224"));
        assert!(!s.holds_region("630105"));
        assert!(!s.holds_region("garbage"));
        assert_eq!(
            household_list(&prefecture).unwrap(),
            RegionFilter::Within(RegionCode::parse("630200").unwrap())
        );
        let admin = principal(Role::Admin, None, None);
        assert_eq!(household_list(&admin).unwrap(), RegionFilter::All);
        let worker = principal(Role::Worker, None, None);
        assert!(household_list(&worker).is_err());
    }
}
