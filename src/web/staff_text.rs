//! The words of the staff pages (training centers, county officers, admins), in Chinese and
//! English. Each word is written once with both languages side by side, so neither can be
//! forgotten; the job seekers' words stay in `text.rs`.

use crate::i18n::Lang;

macro_rules! words {
    ($($name:ident: $zh:expr, $en:expr;)*) => {
        pub struct StaffText { $(pub $name: &'static str,)* }
        pub static ZH: StaffText = StaffText { $($name: $zh,)* };
        pub static EN: StaffText = StaffText { $($name: $en,)* };
    };
}

words! {
    nav_courses: "课程", "Courses";
    nav_graduates: "结业名单上传", "Graduates upload";
    nav_households: "家庭", "Households";
    nav_workers: "劳动力", "Workers";
    nav_followups: "回访", "Follow-ups";
    nav_reports: "报表", "Reports";
    nav_dashboard: "成效看板", "Dashboard";
    nav_admin: "管理", "Admin";
    courses: "课程", "Courses";
    new_course: "新建课程", "New course";
    edit_course: "修改课程", "Edit course";
    edit: "修改", "Edit";
    actions: "操作", "Actions";
    measure: "指标", "Measure";
    pace: "进度", "Pace";
    open: "查看", "Open";
    no_courses: "还没有课程。", "No courses yet.";
    title: "课程名称", "Course title";
    hours: "课时", "Hours";
    starts_on: "开课日期", "Starts on";
    ends_on: "结业日期", "Ends on";
    capacity: "名额", "Places";
    location: "上课地点", "Held in";
    certificate_level: "证书等级", "Certificate level";
    occupation_taught: "培训工种", "Occupation taught";
    occupation_search: "培训什么工种", "Which occupation (search)";
    enrolled: "已报名", "Enrolled";
    enrolments: "学员", "Trainees";
    no_enrolments: "还没有学员。", "No trainees yet.";
    enrol: "报名", "Enrol";
    enrol_by_id: "按身份证号报名", "Enrol by ID number";
    id_number: "身份证号", "ID number";
    result: "结果", "Result";
    record_result: "登记结果", "Record the result";
    certificate_number: "证书编号", "Certificate number";
    passed: "合格", "Passed";
    failed: "不合格", "Failed";
    pending: "在读", "In training";
    mark_passed: "登记合格", "Record a pass";
    mark_failed: "登记不合格", "Record a fail";
    level_5: "五级（初级工）", "Level 5 (beginner)";
    level_4: "四级（中级工）", "Level 4 (intermediate)";
    level_3: "三级（高级工）", "Level 3 (advanced)";
    level_2: "二级（技师）", "Level 2 (technician)";
    level_1: "一级（高级技师）", "Level 1 (senior technician)";
    create: "创建", "Create";
    back_to_courses: "返回课程列表", "Back to the courses";
    graduates_upload: "上传结业名单", "Upload graduates";
    graduates_intro: "用表格软件另存为“CSV UTF-8”后上传。每一行是一名学员的结业结果；同一个文件重复上传不会重复登记。", "Save the sheet as \"CSV UTF-8\" and upload it. Each row is one trainee's result; sending the same file again changes nothing.";
    households_upload: "上传家庭名单", "Upload households";
    households_intro: "用表格软件另存为“CSV UTF-8”后上传。按户籍编号更新，重复上传不会重复登记。", "Save the sheet as \"CSV UTF-8\" and upload it. Rows are matched on the registry number; sending the same file again changes nothing.";
    template_download: "下载表头模板", "Download the template";
    csv_file: "CSV 文件", "CSV file";
    upload: "上传", "Upload";
    uploading: "正在上传…", "Uploading…";
    report: "检查结果", "Report";
    rows_read: "读取行数", "Rows read";
    rows_new: "新增", "New";
    rows_updated: "更新", "Updated";
    rows_unchanged: "未变", "Unchanged";
    rows_failed: "出错", "Failed";
    all_rows_good: "所有行都已保存。", "Every row was saved.";
    some_rows_failed: "下面这些行没有保存，请修改后重新上传：", "These rows were not saved; mend them and send them again:";
    row: "行号", "Row";
    column: "列", "Column";
    value: "填写的内容", "Value";
    reason: "原因", "Reason";
    download_failed: "下载出错的行（CSV）", "Download the failed rows (CSV)";
    file_refused: "文件没有被接受：", "The file was not accepted:";
    nothing_saved: "整个文件都没有保存。", "Nothing in the file was saved.";
    choose_file: "请选择文件", "Choose a file";
    households: "家庭", "Households";
    new_household: "登记家庭", "Register a household";
    edit_household: "修改家庭信息", "Edit the household";
    no_households: "还没有登记的家庭。", "No households yet.";
    registry_number: "户籍编号", "Registry number";
    county: "所在县（区）", "County";
    county_code_hint: "6 位行政区划代码，例如 630224", "6-digit division code, e.g. 630224";
    village: "村", "Village";
    member_count: "家庭人口", "Members";
    household_status: "类别", "Category";
    income_per_capita: "人均年收入（元）", "Income per person per year (yuan)";
    income_assessed_on: "收入评估日期", "Income assessed on";
    other_income_yuan: "务工以外的家庭年收入（元）", "Yearly income besides placed members (yuan)";
    workers: "劳动力", "Workers";
    new_worker: "登记劳动力", "Register a worker";
    edit_worker: "修改劳动力信息", "Edit the worker";
    no_workers: "还没有登记的劳动力。", "No workers yet.";
    home: "户籍所在县", "Home county";
    household_registry: "所属家庭户籍编号", "Household registry number";
    household_registry_hint: "选填；填了才算建档立卡户成员", "Optional; links the worker to a registered household";
    claim_code: "认领码", "Claim code";
    issue_claim_code: "生成认领码", "Issue a claim code";
    claim_code_intro: "把认领码打印出来或念给本人：用登记的手机号注册后输入认领码，即可认领这份资料。只显示这一次。", "Print the code or read it out: after signing up with the phone number on record, the worker enters it to take over this profile. It is shown this once.";
    claim_code_expires: "有效期至", "Valid until";
    print: "打印", "Print";
    followups: "回访", "Follow-ups";
    followups_intro: "本周到期和已逾期的回访。", "Follow-ups due this week, and overdue ones.";
    no_followups: "没有到期的回访。", "No follow-ups due.";
    due_on: "应回访日期", "Due on";
    due_month: "上岗后第几个月", "Month after start";
    overdue: "已逾期", "Overdue";
    employment: "就业情况", "Employment";
    same_employer: "原单位在岗", "With the same employer";
    other_employer: "换了单位", "With another employer";
    not_working: "没有工作", "Not working";
    monthly_wage: "月收入（元）", "Monthly wage (yuan)";
    evidence_ref: "工资凭证号", "Wage evidence reference";
    record: "登记", "Record";
    recorded: "已登记。", "Recorded.";
    reports: "报表", "Reports";
    crossing_title: "收入越过监测线的家庭", "Households whose income crossed the line";
    crossing_intro: "监测线：每人每年", "Monitoring line per person per year:";
    assessed: "上次评估", "Last assessed";
    estimated: "现在估算", "Estimated now";
    working_members: "在岗人数", "Members working";
    crossed: "方向", "Direction";
    crossed_up: "越过监测线", "Above the line";
    crossed_down: "跌回监测线下", "Fell below";
    subsidy_title: "符合交通补贴条件的劳动力", "Workers eligible for the transport subsidy";
    months_employed: "在岗月数", "Months employed";
    download_csv: "下载 CSV", "Download CSV";
    none_yet: "暂无。", "None yet.";
    saved_notice: "已保存。", "Saved.";
    yuan: "元", "yuan";
    dashboard: "就业成效看板", "Outcome dashboard";
    dashboard_intro: "数字与接口 GET /api/v1/stats/outcomes 的计算完全相同。", "The figures are those of GET /api/v1/stats/outcomes, computed once.";
    group_by: "按什么分组", "Group by";
    by_county: "县（区）", "County";
    by_village: "村", "Village";
    by_course: "培训课程", "Course";
    by_center: "培训机构", "Training center";
    by_employer: "用工单位", "Employer";
    by_occupation: "工种", "Occupation";
    from: "从", "From";
    to: "到", "To";
    region: "地区", "Region";
    whole_region: "我负责的全部地区", "All of my region";
    show: "查看", "Show";
    period: "统计期间", "Period";
    group: "分组", "Group";
    placed: "上岗人数", "Placed";
    households_up: "越过监测线的家庭", "Households above the line";
    people_up: "越过监测线的人口", "People above the line";
    retention: "稳岗率", "Retention";
    retention_1m: "1 个月", "1 month";
    retention_3m: "3 个月", "3 months";
    retention_6m: "6 个月", "6 months";
    retention_12m: "12 个月", "12 months";
    wages: "月工资（元）", "Monthly wages (yuan)";
    wage_p25: "下四分位", "Lower quartile";
    wage_median: "中位数", "Median";
    wage_p75: "上四分位", "Upper quartile";
    enrolled_short: "报名", "Enrolled";
    passed_short: "结业合格", "Passed";
    applied_short: "报名求职", "Applied";
    placements_title: "上岗与越过监测线的家庭", "Placements and households above the line";
    retention_title: "稳岗率（上岗后仍在岗的比例）", "Retention (share still employed after)";
    wages_title: "上岗月工资", "Monthly wages at placement";
    no_figures: "这段时间没有数据。", "No figures for this period.";
    targets_title: "年度目标进度", "The year's targets";
    targets_none: "今年还没有设定目标。", "No targets set for this year.";
    target: "目标", "Target";
    done: "已完成", "Done";
    remaining: "还差", "Remaining";
    expected_by_now: "按进度应完成", "Expected by now";
    on_pace: "进度正常", "On pace";
    behind: "落后于进度", "Behind";
    people_target: "带动脱贫人口", "People out of poverty";
    placements_target: "转移就业人数", "Workers placed";
    province_total: "全省合计", "Province total";
    admin: "管理", "Admin";
    index_title: "技能检索索引", "The skills index";
    index_generation: "索引版本", "Generation";
    index_documents: "文档数", "Documents";
    index_visible_change: "已收录到的变更号", "Changes searchable up to";
    reindex: "重建索引", "Rebuild the index";
    reindexing: "正在重建索引…", "Rebuilding the index…";
    reindex_intro: "从数据库重新建立索引，建好后替换现用的索引；期间检索照常。", "Builds a fresh index from the database beside the live one and swaps it in; searching goes on meanwhile.";
    reindexed: "重建完成", "Rebuilt";
    reindexed_counts: "劳动力 / 岗位 / 用时（毫秒）", "Workers / openings / milliseconds";
    accounts: "账号", "Accounts";
    search_accounts: "按手机号或称呼查找", "Find by phone or name";
    find: "查找", "Find";
    role: "身份", "Role";
    role_worker: "求职者", "Job seeker";
    role_center: "培训机构", "Training center";
    role_employer: "用工单位", "Employer";
    role_officer: "工作人员", "Officer";
    role_admin: "管理员", "Admin";
    account_state: "状态", "State";
    active: "正常", "Active";
    disabled: "已停用", "Disabled";
    disable: "停用", "Disable";
    enable: "启用", "Enable";
    new_officer: "新建工作人员账号", "New officer account";
    region_code: "负责地区代码", "Region code";
    region_code_hint: "县、市或省的 6 位代码，例如 630224", "6-digit county, prefecture or province code, e.g. 630224";
    display_name: "称呼", "Name";
    organizations: "机构", "Organizations";
    new_organization: "登记机构", "Register an organization";
    kind: "类型", "Kind";
    kind_center: "培训机构", "Training center";
    kind_employer: "用工单位", "Employer";
    org_name: "名称", "Name";
    credit_code: "统一社会信用代码", "Unified social credit code";
    credit_code_hint: "用工单位必填", "Required for employers";
    address: "地址", "Address";
    invite: "生成邀请码", "Issue an invitation";
    invite_admin: "可再邀请他人", "May invite others";
    invitation_for: "邀请码", "Invitation code for";
    invitation_intro: "把邀请码交给要注册的人：用它注册后即成为该机构的账号。只显示这一次。", "Give the code to the person who will sign up with it; they become the organization's account. It is shown this once.";
    targets: "年度目标", "Targets";
    set_target: "设定目标", "Set a target";
    year: "年份", "Year";
    county_code_label: "县（区）代码", "County code";
    status_registered_poor: "建档立卡贫困户", "Registered poor";
    status_monitored: "监测户", "Monitored";
    status_exited: "脱贫户", "Exited poverty";
    status_other: "其他", "Other";
}

pub fn staff_text(lang: Lang) -> &'static StaffText {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// A validation or import reason as a sentence; reasons the job seekers' pages already word
/// come from `text::reason`.
pub fn reason(lang: Lang, reason: &str) -> String {
    let (zh, en) = match reason {
        "id_number_must_be_18_characters" => {
            ("身份证号应为 18 位", "An ID number has 18 characters")
        }
        "id_number_check_character" => (
            "身份证号最后一位校验码不对",
            "The ID number's check character is wrong",
        ),
        "id_number_birth_date" => (
            "身份证号中的出生日期不对",
            "The birth date in the ID number is wrong",
        ),
        "must_be_yes_or_no" => (
            "应填 合格/不合格（或 是/否、1/0）",
            "Use passed/failed (yes/no, 1/0)",
        ),
        "required_when_passed" => (
            "合格的学员要填证书编号",
            "A pass needs the certificate number",
        ),
        "unknown_course_or_not_yours" => (
            "没有这个课程，或不是本机构的课程",
            "No such course, or not one of yours",
        ),
        "capacity_reached" => ("课程名额已满", "The course has no places left"),
        "conflicts_with_existing_record" => (
            "与已有记录冲突（例如证书编号已被使用）",
            "Conflicts with an existing record (a certificate number already used, say)",
        ),
        "date_must_be_yyyy_mm_dd" => ("日期应写成 2026-03-01", "Write dates as 2026-03-01"),
        "missing_column" => ("文件缺少这一列", "The file lacks this column"),
        "empty_file" => ("文件是空的", "The file is empty"),
        "malformed_csv" => (
            "这一行的 CSV 格式有误（引号不成对？）",
            "This line is not well-formed CSV (an unpaired quote?)",
        ),
        "not_utf8" => (
            "不是 UTF-8 编码，请另存为“CSV UTF-8”",
            "Not UTF-8; save as \"CSV UTF-8\"",
        ),
        "more_than_100000_rows" => ("一次最多 100000 行", "At most 100,000 rows at a time"),
        "outside_your_region" => ("不在您负责的地区", "Outside your region"),
        "does_not_match_id_number" => ("与身份证号不符", "Does not match the ID number"),
        "in_the_future" => ("不能是将来的日期", "Cannot be in the future"),
        "before_starts_on" => ("结业日期不能早于开课日期", "Cannot be before the start"),
        "between_1_and_10_codes" => ("请选择培训工种", "Choose the occupation taught"),
        "unknown_worker" => ("没有找到这个人的求职资料", "No worker with this ID number"),
        "worker_id_or_id_number_required" => ("请填身份证号", "Enter the ID number"),
        "unknown_household" => ("没有这个家庭", "No such household"),
        "unknown_employment" => ("请选择就业情况", "Choose the employment"),
        "required_when_working" => ("在岗时要填月收入", "Required while working"),
        "below_enrolled" => ("不能少于已报名人数", "Cannot be fewer than those enrolled"),
        "income_and_date_go_together" => (
            "收入和评估日期要一起填",
            "Give the income and its date together",
        ),
        "unknown_group_by" => ("请选择分组方式", "Choose a grouping"),
        "before_from" => ("结束日期不能早于开始日期", "Cannot be before the start"),
        "file_required" => ("请选择要上传的文件", "Choose the file to upload"),
        other => {
            // out_of_range_1_30 and the like: the bounds are in the code.
            if let Some((lo, hi)) = other
                .strip_prefix("out_of_range_")
                .and_then(|b| b.split_once('_'))
            {
                return match lang {
                    Lang::Zh => format!("应在 {lo} 到 {hi} 之间"),
                    Lang::En => format!("Between {lo} and {hi}"),
                };
            }
            return super::text::reason(lang, other);
        }
    };
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}
