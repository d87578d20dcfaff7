//! What the staff pages (centers, officers, admins) share: their frame (the pages' layout plus
//! the staff words, stylesheet and script), the menu links the policy allows, and small
//! form helpers.

use std::ops::Deref;

use super::staff_text::{reason, staff_text, StaffText};
use super::{assets, FieldErrors, Layout, NavLink, Viewer};
use crate::auth::{policy, Principal};
use crate::error::FieldError;
use crate::i18n::Lang;

/// The pages' layout with what staff pages add.
pub struct StaffLayout {
    pub base: Layout,
    pub s: &'static StaffText,
    pub staff_css: &'static str,
    /// The staff script (upload progress), only on pages that use it.
    pub staff_js: Option<&'static str>,
    /// The chart library and the dashboard's script: the dashboard only.
    pub charts: Option<(&'static str, &'static str, &'static str)>,
}

impl Deref for StaffLayout {
    type Target = Layout;

    fn deref(&self) -> &Layout {
        &self.base
    }
}

impl StaffLayout {
    pub fn new(viewer: &Viewer) -> StaffLayout {
        StaffLayout {
            base: Layout::new(viewer),
            s: staff_text(viewer.lang),
            staff_css: &assets::URLS.staff_css,
            staff_js: None,
            charts: None,
        }
    }

    pub fn with_htmx(mut self) -> StaffLayout {
        self.base = self.base.with_htmx();
        self
    }

    pub fn with_staff_js(mut self) -> StaffLayout {
        self.staff_js = Some(&assets::URLS.staff_js);
        self
    }
}

/// The staff menu: each link shown when the policy answers the question behind its pages.
pub fn nav_links(p: &Principal, lang: Lang) -> Vec<NavLink> {
    let s = staff_text(lang);
    let mut links = Vec::new();
    if policy::center_of_new_course(p).is_ok() {
        links.push(NavLink {
            href: "/center/courses",
            label: s.nav_courses,
        });
        links.push(NavLink {
            href: "/center/graduates",
            label: s.nav_graduates,
        });
    }
    if policy::household_list(p).is_ok() {
        links.push(NavLink {
            href: "/office/households",
            label: s.nav_households,
        });
        links.push(NavLink {
            href: "/office/workers",
            label: s.nav_workers,
        });
        links.push(NavLink {
            href: "/office/followups",
            label: s.nav_followups,
        });
        links.push(NavLink {
            href: "/office/reports",
            label: s.nav_reports,
        });
    }
    if policy::report_scope(p).is_ok() {
        links.push(NavLink {
            href: "/dashboard",
            label: s.nav_dashboard,
        });
    }
    if policy::may_administer(p).is_ok() {
        links.push(NavLink {
            href: "/admin",
            label: s.nav_admin,
        });
    }
    links
}

/// One `<option>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: String, label: String, selected: &str) -> Choice {
        Choice {
            selected: value == selected,
            value,
            label,
        }
    }
}

/// Field errors in sentences, by the form's field names (`renames`: API field → form field).
pub fn field_errors(lang: Lang, details: &[FieldError], renames: &[(&str, &str)]) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for d in details {
        let field = renames
            .iter()
            .find(|(api, _)| *api == d.field)
            .map(|(_, form)| *form)
            .unwrap_or(d.field.as_str());
        errors.add(field, reason(lang, &d.reason));
    }
    errors
}
