"""Assemble judged_fresh.json from workers.py and openings.py."""
import json, random, os, sys
sys.path.insert(0, os.path.dirname(__file__))
from workers import WORKERS
from openings import EMPLOYERS, OPENINGS

VILLAGES = {
 "630202": ["碾伯镇双塔营村", "高庙镇老鸦村", "洪水镇姜湾村", "瞿昙镇新联村", "寿乐镇引胜村", "雨润镇深沟村", "中坝乡中坝村", "达拉乡达拉村", "城台乡城台村", "蒲台乡蒲台村", "芦花乡转花湾村", "马营乡马营村"],
 "630203": ["平安镇白家村", "小峡镇王家庄村", "三合镇骆驼堡村", "洪水泉乡硝水泉村", "石灰窑乡法台村", "古城乡石碑村", "沙沟乡沙沟村", "巴藏沟乡巴藏沟村"],
 "630222": ["川口镇享堂村", "古鄯镇古鄯村", "马营镇马营村", "官亭镇鲍家村", "巴州镇巴州村", "满坪镇满坪村", "李二堡镇李二堡村", "甘沟乡甘沟村", "总堡乡总堡村", "转导乡转导村", "杏儿乡杏儿村", "前河乡前河村"],
 "630223": ["威远镇小庄村", "丹麻镇索布滩村", "高寨镇高寨村", "南门峡镇南门峡村", "五十镇班彦村", "五峰镇五峰村", "台子乡台子村", "东沟乡东沟村", "东和乡东和村", "红崖子沟乡红崖子沟村", "松多乡松多村", "林川乡林川村"],
 "630224": ["巴燕镇巴燕村", "群科镇群科村", "牙什尕镇牙什尕村", "甘都镇甘都村", "扎巴镇扎巴村", "昂思多镇昂思多村", "石大仓乡石大仓村", "初麻乡初麻村", "查甫乡查甫村", "二塘乡二塘村", "德恒隆乡德恒隆村", "沙连堡乡沙连堡村"],
 "630225": ["积石镇积石村", "街子镇街子村", "白庄镇白庄村", "清水乡清水村", "道帏乡道帏村", "查汗都斯乡查汗都斯村", "文都乡文都村", "尕楞乡尕楞村"],
 "630121": ["桥头镇桥头村"], "630122": ["鲁沙尔镇鲁沙尔村"], "632221": ["浩门镇浩门村"], "632521": ["恰卜恰镇恰卜恰村"],
}
STATUS = {"P": "registered_poor", "M": "monitored", "E": "exited", "O": "other"}

def build():
    rnd = random.Random(20261201)
    households, hh_of, per_county = [], {}, {}
    for w in WORKERS:
        key, hh, home = w[0], w[6], w[5]
        if hh is None or hh.startswith("="):
            continue
        n = per_county.get(home, 0) + 1
        per_county[home] = n
        pool = VILLAGES[home]
        hkey = "hh%03d" % (len(households) + 1)
        households.append({"key": hkey, "registry_number": "HX-%s-%02d" % (home, n), "county_code": home,
                           "village": pool[(n - 1 + rnd.randrange(len(pool))) % len(pool)],
                           "member_count": rnd.randint(3, 7), "status": STATUS[hh]})
        hh_of[key] = hkey
    workers = []
    for (key, profile, name, gender, by, home, hh, dest, anywhere, minw, avail, status, skills, tags) in WORKERS:
        if hh is None:
            hkey = None
        elif hh.startswith("="):
            hkey = hh_of[hh[1:]]
        else:
            hkey = hh_of[key]
        sk = []
        for code, yrs, note, cert in skills:
            s = {"occupation_code": code, "years_experience": yrs, "note": note}
            if cert is not None:
                s["certified"] = {"result_on": cert[0], "level": cert[1]}
            sk.append(s)
        workers.append({"key": key, "profile": profile, "name": name, "gender": gender, "birth_year": by,
                        "home_region": home, "household": hkey, "destinations": list(dest),
                        "accept_anywhere": anywhere, "min_wage": minw, "available_from": avail,
                        "status": status, "brand_tags": list(tags), "skills": sk})
    openings = []
    for o in OPENINGS:
        openings.append({"key": o["key"], "employer": o["employer"], "title": o["title"], "description": o["description"],
                         "required_occupations": o["required"], "nice_occupations": o["nice"], "work_region": o["work_region"],
                         "wage_min": o["wage_min"], "wage_max": o["wage_max"], "headcount": o["headcount"],
                         "housing": o["housing"], "meals": o["meals"], "contract_months": o["contract_months"],
                         "start_date": o["start_date"], "deadline": o["deadline"],
                         "judgments": {"rationale": o["rationale"],
                                       "relevant": sorted(o["relevant"], key=lambda j: (-j["grade"], j["worker"])),
                                       "irrelevant": o["irrelevant"]}})
    about = ("Frozen, independent judged test set for candidate ranking in the Haidong (Qinghai) labour-export program. "
             "Written by hand by an independent judge acting as an experienced recruiter, who never saw the service's ranking "
             "code or any existing judged data; built 2026-12 against reference_date 2026-12-01 from public CSCO 2022 occupation "
             "codes and administrative division codes only. All workers are loaded together; every worker is a candidate for "
             "every opening. Grades: 3 ideal, 2 good, 1 acceptable; workers not listed under an opening have gain 0 and may "
             "appear low. 'irrelevant' workers must not appear in that opening's top 10: they fail a hard filter (status not "
             "available, available_from after start_date, work place outside destinations, wage_max below min_wage) or are a "
             "clearly different trade. Grading rule: trade first (the precise trade named in the title beats the code), then "
             "years where experience is asked (0-1 yr novices at most acceptable for 熟手 jobs even if freshly certified), then "
             "certificates (a lot where required, somewhat where preferred). Household poverty status never changes a grade.")
    data = {"about": about, "reference_date": "2026-12-01", "training_center": {"region": "630224"}, "officer_region": "630000",
            "employers": [{"key": k, "region": r, "name": n} for k, r, n in EMPLOYERS],
            "households": households, "workers": workers, "openings": openings}
    out = os.path.join(os.path.dirname(__file__), "..", "judged_fresh.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
    print("wrote", os.path.normpath(out))

if __name__ == "__main__":
    build()
