//! The job seekers' and employers' pages beyond the profile: their routes and menu links.
//! Each page calls the same service as its API route; who may do what is the policy's answer
//! (through the service, or the role sets of `auth::policy` for the menu).

use actix_web::web;

use super::jobs_text::jobs_text;
use super::{applications, candidates, claim, employer, matches, may, NavLink};
use crate::auth::{EmployerStaff, Principal, RoleSet, WorkerOnly};
use crate::i18n::Lang;

pub fn mount(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/claim", web::get().to(claim::claim_page))
        .route("/me/claim", web::post().to(claim::claim_submit))
        .route("/me/matches", web::get().to(matches::matches_page))
        .route(
            "/openings/{id}/apply",
            web::post().to(matches::apply_submit),
        )
        .route(
            "/me/applications",
            web::get().to(applications::my_applications_page),
        )
        .route(
            "/applications/{id}/move",
            web::post().to(applications::move_submit),
        )
        .route(
            "/me/followups",
            web::get().to(applications::my_followups_page),
        )
        .route(
            "/followups/{id}",
            web::get().to(applications::followup_page),
        )
        .route(
            "/followups/{id}",
            web::post().to(applications::followup_submit),
        )
        .route("/invitation", web::get().to(employer::invitation_page))
        .route("/invitation", web::post().to(employer::invitation_submit))
        .route("/employer/openings", web::get().to(employer::openings_page))
        .route(
            "/employer/openings/new",
            web::get().to(employer::new_opening_page),
        )
        .route(
            "/employer/openings/new",
            web::post().to(employer::new_opening_submit),
        )
        .route(
            "/employer/openings/{id}/edit",
            web::get().to(employer::edit_opening_page),
        )
        .route(
            "/employer/openings/{id}/edit",
            web::post().to(employer::edit_opening_submit),
        )
        .route(
            "/fragments/opening-occupations",
            web::get().to(employer::occupation_fragment),
        )
        .route(
            "/employer/openings/{id}/candidates",
            web::get().to(candidates::candidates_page),
        )
        .route(
            "/employer/openings/{id}/invite",
            web::post().to(candidates::invite_submit),
        )
        .route(
            "/employer/openings/{id}/applications",
            web::get().to(candidates::pipeline_page),
        )
        .route(
            "/applications/{id}/placement",
            web::get().to(candidates::placement_page),
        )
        .route(
            "/applications/{id}/placement",
            web::post().to(candidates::placement_submit),
        )
        .route("/employer/followups", web::get().to(candidates::due_page));
}

/// The menu links of job seekers and employers (after "my profile").
pub fn nav_links(p: &Principal, lang: Lang) -> Vec<NavLink> {
    let j = jobs_text(lang);
    if may(p, WorkerOnly::ROLES) {
        vec![
            NavLink {
                href: "/me/matches",
                label: j.nav_matches,
            },
            NavLink {
                href: "/me/applications",
                label: j.nav_applications,
            },
        ]
    } else if may(p, EmployerStaff::ROLES) {
        vec![
            NavLink {
                href: "/employer/openings",
                label: j.my_openings,
            },
            NavLink {
                href: "/employer/followups",
                label: j.followups_due,
            },
        ]
    } else {
        Vec::new()
    }
}
