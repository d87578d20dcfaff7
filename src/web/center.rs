//! Training-center pages: courses (list, create, edit), a course's trainees with enrolment and
//! results, and the graduates CSV upload with its row-by-row report. Every action calls the
//! service behind the matching `/api/v1` route, which asks the policy.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::staff::{field_errors, Choice, StaffLayout};
use super::uploads::{self, ReportView};
use super::{
    is_htmx, render, render_status, require, see_other, FieldErrors, PageError, PageForm, Viewer,
};
use crate::auth::policy;
use crate::auth::CenterStaff;
use crate::db::courses::{Course, CourseInput, Enrollment, ResultInput};
use crate::db::{accounts, reference, regions};
use crate::error::{ApiError, ErrorCode};
use crate::imports;
use crate::services::courses::{self, EnrollRequest};
use crate::state::AppState;

pub fn mount(cfg: &mut web::ServiceConfig) {
    cfg.route("/center/courses", web::get().to(courses_page))
        .route("/center/courses/new", web::get().to(new_course_page))
        .route("/center/courses/new", web::post().to(new_course_submit))
        .route("/center/courses/{id}", web::get().to(course_page))
        .route("/center/courses/{id}/edit", web::get().to(edit_course_page))
        .route(
            "/center/courses/{id}/edit",
            web::post().to(edit_course_submit),
        )
        .route("/center/courses/{id}/enrol", web::post().to(enrol_submit))
        .route(
            "/center/enrolments/{id}/result",
            web::post().to(result_submit),
        )
        .route("/center/graduates", web::get().to(graduates_page))
        .route("/center/graduates", web::post().to(graduates_submit))
        .route(
            "/center/graduates/template.csv",
            web::get().to(graduates_template),
        );
}

fn id_of(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| PageError::NotFound)
}

/// A course line of the list.
pub struct CourseLine {
    pub id: i64,
    pub title: String,
    pub dates: String,
    pub place: String,
    pub enrolled: i64,
    pub capacity: i32,
}

#[derive(Template)]
#[template(path = "staff/courses.html")]
pub struct CoursesPage {
    pub l: StaffLayout,
    pub courses: Vec<CourseLine>,
}

async fn courses_page(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let user = require::<CenterStaff>(&viewer)?;
    let list = courses::list(&state, user, None, None, 200).await?;
    let client = state.pool.get().await?;
    let codes: Vec<String> = list.iter().map(|c| c.location_region.clone()).collect();
    let names = reference::region_names(&client, &codes).await?;
    let courses = list
        .into_iter()
        .map(|c| CourseLine {
            place: names
                .get(&c.location_region)
                .cloned()
                .unwrap_or_else(|| c.location_region.clone()),
            dates: format!("{} – {}", c.starts_on, c.ends_on),
            id: c.id,
            title: c.title,
            enrolled: c.enrolled,
            capacity: c.capacity,
        })
        .collect();
    render(&CoursesPage {
        l: StaffLayout::new(&viewer),
        courses,
    })
}

/// The course form, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct CourseFields {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub new_skill_q: String,
    #[serde(default)]
    pub new_skill_code: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub capacity: String,
    #[serde(default)]
    pub location_region: String,
    #[serde(default)]
    pub certificate_level: String,
    #[serde(default)]
    pub intent: String,
    /// The version the form was filled from (empty on a new course).
    #[serde(default)]
    pub version: String,
}

#[derive(Template)]
#[template(path = "staff/course_form.html")]
pub struct CourseFormPage {
    pub l: StaffLayout,
    pub action: String,
    pub heading: &'static str,
    pub f: CourseFields,
    pub errors: FieldErrors,
    pub occupations: Vec<Choice>,
    pub searched: bool,
    pub places: Vec<Choice>,
    pub levels: Vec<Choice>,
}

impl CourseFields {
    fn of(c: &Course) -> CourseFields {
        CourseFields {
            title: c.title.clone(),
            new_skill_q: String::new(),
            new_skill_code: c.occupation_codes.first().cloned().unwrap_or_default(),
            hours: c.hours.to_string(),
            starts_on: c.starts_on.to_string(),
            ends_on: c.ends_on.to_string(),
            capacity: c.capacity.to_string(),
            location_region: c.location_region.clone(),
            certificate_level: c.certificate_level.to_string(),
            intent: String::new(),
            version: c.version.to_string(),
        }
    }

    /// The input for the service, and the problems of fields that are not even numbers/dates.
    fn input(&self, errors: &mut Vec<crate::error::FieldError>) -> CourseInput {
        let mut bad = |field: &str, reason: &str| {
            errors.push(crate::error::FieldError {
                field: field.into(),
                reason: reason.into(),
            })
        };
        let num = |raw: &str, field: &str, bad: &mut dyn FnMut(&str, &str)| -> i32 {
            match raw.trim().parse::<i32>() {
                Ok(v) => v,
                Err(_) if raw.trim().is_empty() => {
                    bad(field, "must_not_be_empty");
                    0
                }
                Err(_) => {
                    bad(field, "not_a_number");
                    0
                }
            }
        };
        let date = |raw: &str, field: &str, bad: &mut dyn FnMut(&str, &str)| -> NaiveDate {
            match NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
                Ok(d) => d,
                Err(_) => {
                    bad(
                        field,
                        if raw.trim().is_empty() {
                            "must_not_be_empty"
                        } else {
                            "not_a_date"
                        },
                    );
                    NaiveDate::MIN
                }
            }
        };
        let hours = num(&self.hours, "hours", &mut bad);
        let capacity = num(&self.capacity, "capacity", &mut bad);
        let level = num(&self.certificate_level, "certificate_level", &mut bad);
        let starts_on = date(&self.starts_on, "starts_on", &mut bad);
        let ends_on = date(&self.ends_on, "ends_on", &mut bad);
        CourseInput {
            title: self.title.clone(),
            occupation_codes: if self.new_skill_code.trim().is_empty() {
                Vec::new()
            } else {
                vec![self.new_skill_code.trim().to_string()]
            },
            hours,
            starts_on,
            ends_on,
            capacity,
            location_region: self.location_region.trim().to_string(),
            certificate_level: i16::try_from(level).unwrap_or(0),
        }
    }
}

async fn course_form(
    state: &AppState,
    viewer: &Viewer,
    action: String,
    heading: &'static str,
    f: CourseFields,
    errors: FieldErrors,
) -> Result<CourseFormPage, PageError> {
    let user = require::<CenterStaff>(viewer)?;
    let center = policy::center_of_new_course(user)?;
    let client = state.pool.get().await?;
    let org = accounts::find_organization(&client, center)
        .await?
        .ok_or(PageError::NotFound)?;
    // Courses are held around the center: the counties of its province.
    let province = format!("{}0000", &org.region_code[..2.min(org.region_code.len())]);
    let places = regions::counties_within(&client, &province).await?;
    let mut occupations = Vec::new();
    let searched = !f.new_skill_q.trim().is_empty();
    if searched {
        if let Ok(found) = crate::routes::matching::suggest(
            state,
            &f.new_skill_q,
            8,
            crate::search::suggest::Granularity::LeavesOnly,
        )
        .await
        {
            occupations = found
                .into_iter()
                .map(|s| Choice::new(s.code, s.name, &f.new_skill_code))
                .collect();
        }
    }
    if !f.new_skill_code.is_empty() && !occupations.iter().any(|o| o.value == f.new_skill_code) {
        let names =
            reference::occupation_names(&client, std::slice::from_ref(&f.new_skill_code)).await?;
        if let Some(name) = names.get(&f.new_skill_code) {
            occupations.insert(
                0,
                Choice::new(f.new_skill_code.clone(), name.clone(), &f.new_skill_code),
            );
        }
    }
    let s = super::staff_text::staff_text(viewer.lang);
    let levels = [
        ("5", s.level_5),
        ("4", s.level_4),
        ("3", s.level_3),
        ("2", s.level_2),
        ("1", s.level_1),
    ]
    .into_iter()
    .map(|(v, label)| Choice::new(v.to_string(), label.to_string(), &f.certificate_level))
    .collect();
    Ok(CourseFormPage {
        l: StaffLayout::new(viewer).with_htmx(),
        action,
        heading,
        places: places
            .into_iter()
            .map(|(code, name)| Choice::new(code, name, &f.location_region))
            .collect(),
        levels,
        occupations,
        searched,
        f,
        errors,
    })
}

async fn new_course_page(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let s = super::staff_text::staff_text(viewer.lang);
    let f = CourseFields {
        certificate_level: "5".into(),
        ..Default::default()
    };
    let page = course_form(
        &state,
        &viewer,
        "/center/courses/new".into(),
        s.new_course,
        f,
        FieldErrors::default(),
    )
    .await?;
    render(&page)
}

/// Saves a course form through `save`; a refused form comes back with the reasons beside the
/// fields, and `intent=find` (the occupation search without JavaScript) only re-renders it.
async fn submit_course<F, Fut>(
    state: &AppState,
    viewer: &Viewer,
    action: String,
    heading: &'static str,
    f: CourseFields,
    save: F,
) -> Result<HttpResponse, PageError>
where
    F: FnOnce(CourseInput) -> Fut,
    Fut: std::future::Future<Output = Result<Course, ApiError>>,
{
    if f.intent == "find" {
        let page = course_form(state, viewer, action, heading, f, FieldErrors::default()).await?;
        return render(&page);
    }
    let mut problems = Vec::new();
    let input = f.input(&mut problems);
    let outcome = if problems.is_empty() {
        save(input).await
    } else {
        Err(ApiError::validation(problems))
    };
    match outcome {
        Ok(course) => Ok(see_other(&format!("/center/courses/{}", course.id))),
        Err(e) if e.code == ErrorCode::ValidationFailed => {
            let errors = field_errors(
                viewer.lang,
                &e.details,
                &[("occupation_codes", "new_skill_code")],
            );
            let page = course_form(state, viewer, action, heading, f, errors).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) if e.code == ErrorCode::PreconditionFailed => {
            let mut errors = FieldErrors::default();
            errors.add("title", e.body(viewer.lang).message);
            let page = course_form(state, viewer, action, heading, f, errors).await?;
            render_status(StatusCode::PRECONDITION_FAILED, &page)
        }
        Err(e) => Err(e.into()),
    }
}

async fn new_course_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: PageForm<CourseFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<CenterStaff>(&viewer)?.clone();
    let s = super::staff_text::staff_text(viewer.lang);
    submit_course(
        &state,
        &viewer,
        "/center/courses/new".into(),
        s.new_course,
        form.fields,
        |input| {
            let state = state.clone();
            async move { courses::create(&state, &user, &input).await }
        },
    )
    .await
}

async fn edit_course_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let user = require::<CenterStaff>(&viewer)?;
    let id = id_of(&path)?;
    let course = courses::get(&state, user, id).await?;
    policy::may_run_course(user, &course)?;
    let s = super::staff_text::staff_text(viewer.lang);
    let page = course_form(
        &state,
        &viewer,
        format!("/center/courses/{id}/edit"),
        s.edit_course,
        CourseFields::of(&course),
        FieldErrors::default(),
    )
    .await?;
    render(&page)
}

async fn edit_course_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<CourseFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<CenterStaff>(&viewer)?.clone();
    let id = id_of(&path)?;
    let s = super::staff_text::staff_text(viewer.lang);
    // Saving over a course someone else changed since this form was filled is refused.
    let expected = form.fields.version.trim().parse::<i32>().ok();
    submit_course(
        &state,
        &viewer,
        format!("/center/courses/{id}/edit"),
        s.edit_course,
        form.fields,
        |input| {
            let state = state.clone();
            async move { courses::update(&state, &user, id, &input, expected).await }
        },
    )
    .await
}

/// A trainee's line on the course page.
pub struct TraineeLine {
    pub id: i64,
    pub name: String,
    pub status: &'static str,
    pub passed: bool,
    pub open: bool,
    pub certificate_number: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/course.html")]
pub struct CoursePage {
    pub l: StaffLayout,
    pub c: Course,
    pub place: String,
    pub occupation: String,
    pub trainees: Vec<TraineeLine>,
    pub enrol_id_number: String,
    pub enrol_error: Option<String>,
    pub notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct CourseQuery {
    #[serde(default)]
    pub enrolled: Option<String>,
}

async fn course_view(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    enrol: (String, Option<String>),
    result_error: Option<(i64, String, String)>,
    notice: Option<String>,
) -> Result<CoursePage, PageError> {
    let user = require::<CenterStaff>(viewer)?;
    let course = courses::get(state, user, id).await?;
    let list: Vec<Enrollment> = courses::enrollments(state, user, id, None, 1000).await?;
    let client = state.pool.get().await?;
    let place = reference::region_names(&client, std::slice::from_ref(&course.location_region))
        .await?
        .remove(&course.location_region)
        .unwrap_or_else(|| course.location_region.clone());
    let names = reference::occupation_names(&client, &course.occupation_codes).await?;
    let occupation = course
        .occupation_codes
        .iter()
        .map(|c| names.get(c).cloned().unwrap_or_else(|| c.clone()))
        .collect::<Vec<_>>()
        .join("、");
    let s = super::staff_text::staff_text(viewer.lang);
    let trainees = list
        .into_iter()
        .map(|e| {
            let (error, typed) = match &result_error {
                Some((eid, msg, typed)) if *eid == e.id => (Some(msg.clone()), Some(typed.clone())),
                _ => (None, None),
            };
            TraineeLine {
                id: e.id,
                status: match e.status.as_str() {
                    "passed" => s.passed,
                    "failed" => s.failed,
                    _ => s.pending,
                },
                passed: e.status == "passed",
                open: e.status != "passed",
                certificate_number: typed
                    .unwrap_or_else(|| e.certificate_number.clone().unwrap_or_default()),
                name: e.worker_name,
                error,
            }
        })
        .collect();
    Ok(CoursePage {
        l: StaffLayout::new(viewer),
        c: course,
        place,
        occupation,
        trainees,
        enrol_id_number: enrol.0,
        enrol_error: enrol.1,
        notice,
    })
}

async fn course_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    query: web::Query<CourseQuery>,
) -> Result<HttpResponse, PageError> {
    let id = id_of(&path)?;
    let s = super::staff_text::staff_text(viewer.lang);
    let notice = query.enrolled.as_ref().map(|_| s.enrolled.to_string());
    render(&course_view(&state, &viewer, id, (String::new(), None), None, notice).await?)
}

#[derive(Deserialize)]
pub struct EnrolFields {
    #[serde(default)]
    pub id_number: String,
}

async fn enrol_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<EnrolFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<CenterStaff>(&viewer)?;
    let id = id_of(&path)?;
    let typed = form.fields.id_number.trim().to_string();
    let req = EnrollRequest {
        worker_id: None,
        id_number: Some(typed.clone()),
    };
    match courses::enroll(&state, user, id, &req).await {
        Ok(_) => Ok(see_other(&format!("/center/courses/{id}?enrolled=1"))),
        Err(e) if e.code.status().is_client_error() && e.code != ErrorCode::NotFound => {
            let msg = e
                .details
                .first()
                .map(|d| super::staff_text::reason(viewer.lang, &d.reason))
                .unwrap_or_else(|| e.body(viewer.lang).message);
            let page = course_view(&state, &viewer, id, (typed, Some(msg)), None, None).await?;
            render_status(e.code.status(), &page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ResultFields {
    pub passed: String,
    #[serde(default)]
    pub certificate_number: String,
}

async fn result_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<ResultFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<CenterStaff>(&viewer)?;
    let id = id_of(&path)?;
    let cert = form.fields.certificate_number.trim().to_string();
    let r = ResultInput {
        passed: form.fields.passed == "1",
        score: None,
        certificate_number: (!cert.is_empty()).then(|| cert.clone()),
        level: None,
        result_on: None,
    };
    match courses::record_result(&state, user, id, &r).await {
        Ok((e, _)) => Ok(see_other(&format!(
            "/center/courses/{}#trainee-{}",
            e.course_id, e.id
        ))),
        Err(e) if e.code.status().is_client_error() && e.code != ErrorCode::NotFound => {
            let client = state.pool.get().await?;
            let course_id = crate::db::courses::find_enrollment(&client, id)
                .await?
                .map(|en| en.course_id)
                .ok_or(PageError::NotFound)?;
            let msg = e
                .details
                .first()
                .map(|d| super::staff_text::reason(viewer.lang, &d.reason))
                .unwrap_or_else(|| e.body(viewer.lang).message);
            let page = course_view(
                &state,
                &viewer,
                course_id,
                (String::new(), None),
                Some((id, msg, cert)),
                None,
            )
            .await?;
            render_status(e.code.status(), &page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "staff/upload.html")]
pub struct UploadPage {
    pub l: StaffLayout,
    pub heading: &'static str,
    pub intro: &'static str,
    pub action: &'static str,
    pub template_href: &'static str,
    pub report: Option<ReportView>,
}

#[derive(Template)]
#[template(path = "staff/partials/import_report.html")]
pub struct ReportFragment {
    pub l: StaffLayout,
    pub report: Option<ReportView>,
}

/// Answers an upload: the report alone for htmx (swapped under the form), else the page.
pub fn upload_answer(req: &HttpRequest, page: UploadPage) -> Result<HttpResponse, PageError> {
    if is_htmx(req) {
        render(&ReportFragment {
            l: page.l,
            report: page.report,
        })
    } else {
        render(&page)
    }
}

fn graduates_upload_page(viewer: &Viewer, report: Option<ReportView>) -> UploadPage {
    let s = super::staff_text::staff_text(viewer.lang);
    UploadPage {
        l: StaffLayout::new(viewer).with_htmx().with_staff_js(),
        heading: s.graduates_upload,
        intro: s.graduates_intro,
        action: "/center/graduates",
        template_href: "/center/graduates/template.csv",
        report,
    }
}

async fn graduates_page(viewer: Viewer) -> Result<HttpResponse, PageError> {
    let user = require::<CenterStaff>(&viewer)?;
    policy::may_import_graduates(user)?;
    render(&graduates_upload_page(&viewer, None))
}

async fn graduates_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    form: Multipart,
) -> Result<HttpResponse, PageError> {
    let user = require::<CenterStaff>(&viewer)?.clone();
    let uploaded = uploads::receive(&state, &viewer, form, &imports::GRADUATE_COLUMNS, |sheet| {
        let state = state.clone();
        async move {
            imports::import_graduates(&state.pool, &user, sheet, imports::ImportMode::BestEffort)
                .await
        }
    })
    .await?;
    let report = ReportView::of(viewer.lang, uploaded);
    upload_answer(&req, graduates_upload_page(&viewer, Some(report)))
}

/// The header the importer expects, and one example row.
async fn graduates_template(viewer: Viewer) -> Result<HttpResponse, PageError> {
    require::<CenterStaff>(&viewer)?;
    let mut header: Vec<&str> = imports::GRADUATE_COLUMNS.to_vec();
    header.extend(["score", "result_on", "phone"]);
    let body = uploads::template_csv(
        &header,
        &[
            "12",
            "马建国",
            "632127199001011234",
            "630224",
            "合格",
            "GZ2026-0001",
            "85",
            "2026-06-30",
            "13800000000",
        ],
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"graduates-template.csv\"",
        ))
        .body(body))
}
