"""The shape of the demo company: divisions, departments, teams, job roles and where people sit.

Plain data, read by the generator steps. Sizes are staff per team at the start of the history
(leads and supervisors come on top); growth is per month.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPANY_NAME = "Brightwater Group"
COMPANY_CODE = "BWG"
# A reserved test domain (RFC 2606): demo addresses can never reach a real mailbox.
EMAIL_DOMAIN = "brightwater.example"

LOCATIONS: dict[str, str] = {
    "London": "GB",
    "Dublin": "IE",
    "Berlin": "DE",
    "Lisbon": "PT",
    "Warsaw": "PL",
    "Austin": "US",
    "Toronto": "CA",
    "Bangalore": "IN",
}
# Which name pool a location draws from.
NAME_REGION: dict[str, str] = {
    "London": "GB",
    "Dublin": "GB",
    "Berlin": "DE",
    "Lisbon": "PT",
    "Warsaw": "PL",
    "Austin": "US",
    "Toronto": "US",
    "Bangalore": "IN",
}


@dataclass(frozen=True)
class RoleSpec:
    code: str
    name: str
    family: str
    level: int
    manager: bool = False
    next_role: str | None = None  # the promotion ladder


FAMILIES: dict[str, str] = {
    "ENG": "Software Engineering",
    "CLOUD": "Cloud & Infrastructure",
    "DATA": "Data & AI",
    "SEC": "Information Security",
    "ITS": "IT Support",
    "PROD": "Product & Design",
    "SALES": "Sales",
    "MKT": "Marketing",
    "CS": "Customer Service",
    "OPS": "Operations",
    "PROC": "Procurement",
    "FIN": "Finance",
    "HR": "Human Resources",
    "LD": "Learning & Development",
    "LEGAL": "Legal & Compliance",
    "RISK": "Audit & Risk",
    "ADMIN": "Business Support",
    "LEAD": "People Leadership",
}

ROLES: tuple[RoleSpec, ...] = (
    RoleSpec("SWE-1", "Software Engineer I", "ENG", 2, next_role="SWE-2"),
    RoleSpec("SWE-2", "Software Engineer II", "ENG", 3, next_role="SWE-3"),
    RoleSpec("SWE-3", "Software Engineer III", "ENG", 4),
    RoleSpec("DOTNET", ".NET Developer", "ENG", 3, next_role="SWE-3"),
    RoleSpec("QA", "QA Engineer", "ENG", 2, next_role="SWE-2"),
    RoleSpec("CLOUD-1", "Cloud Engineer", "CLOUD", 3, next_role="CLOUD-2"),
    RoleSpec("CLOUD-2", "Senior Cloud Engineer", "CLOUD", 4),
    RoleSpec("SRE", "Site Reliability Engineer", "CLOUD", 3, next_role="CLOUD-2"),
    RoleSpec("DA", "Data Analyst", "DATA", 2, next_role="DS"),
    RoleSpec("DE", "Data Engineer", "DATA", 3, next_role="MLE"),
    RoleSpec("DS", "Data Scientist", "DATA", 3, next_role="MLE"),
    RoleSpec("MLE", "ML Engineer", "DATA", 4),
    RoleSpec("SEC-AN", "Security Analyst", "SEC", 3, next_role="SEC-ENG"),
    RoleSpec("SEC-ENG", "Security Engineer", "SEC", 4),
    RoleSpec("SD-1", "Service Desk Analyst", "ITS", 1, next_role="SD-2"),
    RoleSpec("SD-2", "Senior Service Desk Analyst", "ITS", 2, next_role="ITSUP"),
    RoleSpec("ITSUP", "IT Support Engineer", "ITS", 3),
    RoleSpec("APM", "Associate Product Manager", "PROD", 2, next_role="PM"),
    RoleSpec("PM", "Product Manager", "PROD", 4),
    RoleSpec("UX", "UX Designer", "PROD", 3),
    RoleSpec("SDR", "Sales Development Representative", "SALES", 1, next_role="AE"),
    RoleSpec("AE", "Account Executive", "SALES", 3, next_role="SAE"),
    RoleSpec("SAE", "Senior Account Executive", "SALES", 4),
    RoleSpec("SOPS", "Sales Operations Analyst", "SALES", 2),
    RoleSpec("MKT-1", "Marketing Specialist", "MKT", 2, next_role="MKT-2"),
    RoleSpec("MKT-2", "Senior Marketing Specialist", "MKT", 3),
    RoleSpec("CONTENT", "Content Writer", "MKT", 2),
    RoleSpec("CSA-1", "Customer Service Agent", "CS", 1, next_role="CSA-2"),
    RoleSpec("CSA-2", "Senior Customer Service Agent", "CS", 2),
    RoleSpec("CS-QA", "Quality Analyst", "CS", 3),
    RoleSpec("WFM", "Workforce Planner", "CS", 3),
    RoleSpec("OPA", "Operations Associate", "OPS", 1, next_role="OPSS"),
    RoleSpec("OPSS", "Operations Specialist", "OPS", 2),
    RoleSpec("LOG", "Logistics Coordinator", "OPS", 2),
    RoleSpec("FAC", "Facilities Coordinator", "OPS", 2),
    RoleSpec("SUPPLY", "Supply Planner", "OPS", 3),
    RoleSpec("BUYER", "Buyer", "PROC", 2, next_role="CATMGR"),
    RoleSpec("CATMGR", "Category Manager", "PROC", 4),
    RoleSpec("FA", "Financial Analyst", "FIN", 2, next_role="SFA"),
    RoleSpec("SFA", "Senior Financial Analyst", "FIN", 3),
    RoleSpec("ACC", "Accountant", "FIN", 2),
    RoleSpec("PAY", "Payroll Specialist", "FIN", 2),
    RoleSpec("HRBP", "HR Business Partner", "HR", 4),
    RoleSpec("RECR", "Recruiter", "HR", 2),
    RoleSpec("HROPS", "HR Operations Specialist", "HR", 2),
    RoleSpec("REWARD", "Reward Analyst", "HR", 3),
    RoleSpec("LDC", "L&D Coordinator", "LD", 2, next_role="LDS"),
    RoleSpec("LDS", "L&D Specialist", "LD", 3),
    RoleSpec("ID", "Instructional Designer", "LD", 3),
    RoleSpec("COUNSEL", "Legal Counsel", "LEGAL", 4),
    RoleSpec("PARA", "Paralegal", "LEGAL", 2),
    RoleSpec("COMPL", "Compliance Analyst", "LEGAL", 3),
    RoleSpec("AUD", "Internal Auditor", "RISK", 3),
    RoleSpec("RISK-AN", "Risk Analyst", "RISK", 3),
    RoleSpec("EA", "Executive Assistant", "ADMIN", 2),
    RoleSpec("SUP", "Team Supervisor", "LEAD", 4, manager=True),
    RoleSpec("TECHLEAD", "Tech Lead", "LEAD", 5, manager=True),
    RoleSpec("TL", "Team Lead", "LEAD", 5, manager=True),
    RoleSpec("EM", "Engineering Manager", "LEAD", 6, manager=True),
    RoleSpec("HEAD", "Head of Department", "LEAD", 7, manager=True),
    RoleSpec("DIR", "Division Director", "LEAD", 8, manager=True),
    RoleSpec("CEO", "Chief Executive Officer", "LEAD", 9, manager=True),
)


@dataclass(frozen=True)
class TeamSpec:
    code: str
    name: str
    size: int
    roles: dict[str, float]
    locations: dict[str, float]
    growth: float = 0.0  # per month, compounded
    attrition: float = 0.007  # monthly probability of leaving
    lead_title: str = ""  # default: "Team Lead, <name>"
    pod_size: int = 10  # staff per supervisor once the team is too big for one lead
    tech: bool = False  # engineering teams: Engineering Manager and Tech Leads


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    head_title: str
    teams: tuple[TeamSpec, ...]
    location: str = "London"


@dataclass(frozen=True)
class DivisionSpec:
    code: str
    name: str
    head_title: str
    departments: tuple[DepartmentSpec, ...]


_LONDON = {"London": 1.0}
_TECH_HUBS = {"London": 0.3, "Berlin": 0.2, "Lisbon": 0.15, "Warsaw": 0.2, "Bangalore": 0.15}
_SALES_HUBS = {"London": 0.35, "Berlin": 0.2, "Austin": 0.3, "Toronto": 0.15}
_OPS_HUBS = {"Warsaw": 0.4, "Lisbon": 0.25, "Austin": 0.35}
_CS_AGENTS = {"CSA-1": 0.78, "CSA-2": 0.22}


def _team(
    code: str,
    name: str,
    size: int,
    roles: dict[str, float],
    locations: dict[str, float],
    *,
    growth: float = 0.0,
    attrition: float = 0.007,
    lead_title: str = "",
    pod_size: int = 10,
    tech: bool = False,
) -> TeamSpec:
    return TeamSpec(
        code=code,
        name=name,
        size=size,
        roles=roles,
        locations=locations,
        growth=growth,
        attrition=attrition,
        lead_title=lead_title,
        pod_size=pod_size,
        tech=tech,
    )


DIVISIONS: tuple[DivisionSpec, ...] = (
    DivisionSpec(
        "TP",
        "Technology & Product",
        "Chief Technology Officer",
        (
            DepartmentSpec(
                "TECH",
                "Technology",
                "VP Engineering",
                (
                    _team(
                        "TECH-PLAT",
                        "Platform & Cloud",
                        44,
                        {"CLOUD-1": 0.5, "CLOUD-2": 0.25, "SRE": 0.25},
                        _TECH_HUBS,
                        growth=0.008,
                        tech=True,
                        pod_size=8,
                    ),
                    _team(
                        "TECH-DATA",
                        "Data & AI",
                        32,
                        {"DA": 0.3, "DE": 0.25, "DS": 0.3, "MLE": 0.15},
                        _TECH_HUBS,
                        growth=0.015,
                        tech=True,
                        pod_size=8,
                    ),
                    _team(
                        "TECH-APP",
                        "Application Development",
                        96,
                        {"SWE-1": 0.22, "SWE-2": 0.3, "SWE-3": 0.2, "DOTNET": 0.16, "QA": 0.12},
                        _TECH_HUBS,
                        growth=0.004,
                        tech=True,
                        pod_size=8,
                    ),
                    _team(
                        "TECH-SEC",
                        "IT Security",
                        17,
                        {"SEC-AN": 0.6, "SEC-ENG": 0.4},
                        {"London": 0.6, "Warsaw": 0.4},
                        growth=0.006,
                        tech=True,
                        pod_size=9,
                    ),
                    _team(
                        "TECH-DESK",
                        "IT Service Desk",
                        30,
                        {"SD-1": 0.6, "SD-2": 0.3, "ITSUP": 0.1},
                        {"Warsaw": 0.5, "Bangalore": 0.3, "Austin": 0.2},
                        growth=-0.003,
                        attrition=0.014,
                        pod_size=10,
                    ),
                ),
            ),
            DepartmentSpec(
                "PRODUCT",
                "Product",
                "Head of Product",
                (
                    _team(
                        "PROD-PM",
                        "Product Management",
                        24,
                        {"PM": 0.7, "APM": 0.3},
                        {"London": 0.6, "Berlin": 0.2, "Toronto": 0.2},
                        growth=0.005,
                    ),
                    _team(
                        "PROD-UX",
                        "UX & Design",
                        16,
                        {"UX": 1.0},
                        {"London": 0.5, "Lisbon": 0.5},
                        growth=0.005,
                    ),
                ),
            ),
        ),
    ),
    DivisionSpec(
        "COM",
        "Commercial",
        "Chief Commercial Officer",
        (
            DepartmentSpec(
                "SALES",
                "Sales",
                "Head of Sales",
                (
                    _team(
                        "SALES-ENT",
                        "Enterprise Sales",
                        42,
                        {"SAE": 0.5, "AE": 0.5},
                        _SALES_HUBS,
                        growth=0.004,
                        attrition=0.012,
                    ),
                    _team(
                        "SALES-MM",
                        "Mid-Market Sales",
                        58,
                        {"AE": 0.8, "SAE": 0.2},
                        _SALES_HUBS,
                        growth=0.004,
                        attrition=0.013,
                    ),
                    _team(
                        "SALES-SDR",
                        "Sales Development",
                        48,
                        {"SDR": 1.0},
                        _SALES_HUBS,
                        growth=0.002,
                        attrition=0.015,
                        pod_size=12,
                    ),
                    _team("SALES-OPS", "Sales Operations", 12, {"SOPS": 1.0}, {"London": 0.7, "Warsaw": 0.3}),
                ),
            ),
            DepartmentSpec(
                "MKT",
                "Marketing",
                "Head of Marketing",
                (
                    _team(
                        "MKT-BRAND",
                        "Brand & Content",
                        19,
                        {"MKT-1": 0.4, "MKT-2": 0.3, "CONTENT": 0.3},
                        {"London": 0.7, "Berlin": 0.3},
                    ),
                    _team(
                        "MKT-DIGI",
                        "Digital Marketing",
                        23,
                        {"MKT-1": 0.6, "MKT-2": 0.4},
                        {"London": 0.5, "Lisbon": 0.3, "Austin": 0.2},
                        growth=0.004,
                    ),
                    _team(
                        "MKT-OPS", "Marketing Operations", 10, {"MKT-1": 0.7, "MKT-2": 0.3}, {"London": 1.0}
                    ),
                ),
            ),
        ),
    ),
    DivisionSpec(
        "CO",
        "Customer & Operations",
        "Chief Operating Officer",
        (
            DepartmentSpec(
                "CS",
                "Customer Service",
                "Head of Customer Service",
                (
                    _team(
                        "CS-UKI",
                        "CS UK & Ireland",
                        160,
                        _CS_AGENTS,
                        {"London": 0.75, "Dublin": 0.25},
                        attrition=0.014,
                        pod_size=12,
                    ),
                    _team(
                        "CS-DACH", "CS DACH", 150, _CS_AGENTS, {"Berlin": 1.0}, attrition=0.012, pod_size=12
                    ),
                    _team(
                        "CS-IBERIA",
                        "CS Iberia",
                        145,
                        _CS_AGENTS,
                        {"Lisbon": 1.0},
                        attrition=0.013,
                        pod_size=12,
                    ),
                    _team(
                        "CS-PL",
                        "CS Poland",
                        165,
                        _CS_AGENTS,
                        {"Warsaw": 1.0},
                        growth=0.002,
                        attrition=0.012,
                        pod_size=12,
                    ),
                    _team(
                        "CS-NA",
                        "CS North America",
                        175,
                        _CS_AGENTS,
                        {"Austin": 0.6, "Toronto": 0.4},
                        attrition=0.015,
                        pod_size=12,
                    ),
                    _team(
                        "CS-IN",
                        "CS India",
                        190,
                        _CS_AGENTS,
                        {"Bangalore": 1.0},
                        growth=0.003,
                        attrition=0.016,
                        pod_size=12,
                    ),
                    _team(
                        "CS-QWP",
                        "Quality & Workforce Planning",
                        20,
                        {"CS-QA": 0.6, "WFM": 0.4},
                        {"Warsaw": 0.5, "London": 0.5},
                    ),
                ),
                location="London",
            ),
            DepartmentSpec(
                "OPS",
                "Operations",
                "Head of Operations",
                (
                    _team(
                        "OPS-FUL",
                        "Fulfilment",
                        230,
                        {"OPA": 0.7, "OPSS": 0.3},
                        _OPS_HUBS,
                        growth=0.002,
                        attrition=0.010,
                        pod_size=14,
                    ),
                    _team(
                        "OPS-LOG",
                        "Logistics",
                        120,
                        {"LOG": 0.7, "OPSS": 0.3},
                        _OPS_HUBS,
                        growth=0.002,
                        attrition=0.009,
                        pod_size=12,
                    ),
                    _team(
                        "OPS-FAC",
                        "Facilities",
                        34,
                        {"FAC": 1.0},
                        {"London": 0.3, "Warsaw": 0.3, "Lisbon": 0.2, "Austin": 0.2},
                    ),
                    _team("OPS-PLAN", "Supply Planning", 28, {"SUPPLY": 1.0}, {"Warsaw": 0.6, "Austin": 0.4}),
                ),
                location="Warsaw",
            ),
            DepartmentSpec(
                "PROC",
                "Procurement",
                "Head of Procurement",
                (
                    _team(
                        "PROC-SRC",
                        "Strategic Sourcing",
                        14,
                        {"CATMGR": 0.4, "BUYER": 0.6},
                        {"London": 0.5, "Warsaw": 0.5},
                    ),
                    _team("PROC-PUR", "Purchasing", 16, {"BUYER": 1.0}, {"Warsaw": 1.0}),
                ),
                location="Warsaw",
            ),
        ),
    ),
    DivisionSpec(
        "FL",
        "Finance & Legal",
        "Chief Financial Officer",
        (
            DepartmentSpec(
                "FIN",
                "Finance",
                "Head of Finance",
                (
                    _team("FIN-FPA", "FP&A", 18, {"FA": 0.6, "SFA": 0.4}, {"London": 0.7, "Lisbon": 0.3}),
                    _team("FIN-ACC", "Accounting", 26, {"ACC": 1.0}, {"London": 0.4, "Lisbon": 0.6}),
                    _team("FIN-PAY", "Payroll", 10, {"PAY": 1.0}, {"Lisbon": 1.0}),
                ),
            ),
            DepartmentSpec(
                "LEGAL",
                "Legal",
                "General Counsel",
                (
                    _team(
                        "LEGAL-COM",
                        "Commercial Legal",
                        10,
                        {"COUNSEL": 0.6, "PARA": 0.4},
                        _LONDON,
                        attrition=0.006,
                    ),
                    _team(
                        "LEGAL-CMP",
                        "Compliance & Privacy",
                        9,
                        {"COMPL": 1.0},
                        {"London": 0.6, "Berlin": 0.4},
                        attrition=0.006,
                    ),
                ),
            ),
            DepartmentSpec(
                "RISK",
                "Internal Audit & Risk",
                "Head of Internal Audit",
                (
                    _team("RISK-AUD", "Internal Audit", 7, {"AUD": 1.0}, _LONDON, attrition=0.006),
                    _team("RISK-MGT", "Risk Management", 6, {"RISK-AN": 1.0}, _LONDON, attrition=0.006),
                ),
            ),
        ),
    ),
    DivisionSpec(
        "PPL",
        "People",
        "Chief People Officer",
        (
            DepartmentSpec(
                "HR",
                "HR",
                "Head of HR",
                (
                    _team(
                        "HR-BP",
                        "HR Business Partners",
                        12,
                        {"HRBP": 1.0},
                        {"London": 0.5, "Berlin": 0.2, "Warsaw": 0.15, "Austin": 0.15},
                    ),
                    _team(
                        "HR-TA",
                        "Talent Acquisition",
                        18,
                        {"RECR": 1.0},
                        {"London": 0.4, "Warsaw": 0.3, "Bangalore": 0.3},
                        growth=0.003,
                        attrition=0.013,
                    ),
                    _team(
                        "HR-LD",
                        "Learning & Development",
                        10,
                        {"LDS": 0.5, "LDC": 0.2, "ID": 0.3},
                        {"London": 0.7, "Lisbon": 0.3},
                        lead_title="Head of Learning & Development",
                    ),
                    _team(
                        "HR-OPS",
                        "Reward & HR Operations",
                        14,
                        {"HROPS": 0.6, "REWARD": 0.4},
                        {"London": 0.5, "Lisbon": 0.5},
                    ),
                ),
            ),
        ),
    ),
)

# Customer service agent teams: the population with person-grain service metrics.
CS_AGENT_TEAMS: tuple[str, ...] = ("CS-UKI", "CS-DACH", "CS-IBERIA", "CS-PL", "CS-NA", "CS-IN")
CS_AGENT_ROLES: frozenset[str] = frozenset({"CSA-1", "CSA-2"})
SALES_REP_ROLES: frozenset[str] = frozenset({"AE", "SAE"})
SALES_REP_TEAMS: tuple[str, ...] = ("SALES-ENT", "SALES-MM")


@dataclass
class UnitIndex:
    """Lookups over DIVISIONS, built once."""

    teams: dict[str, TeamSpec] = field(default_factory=dict)
    team_department: dict[str, str] = field(default_factory=dict)
    department_division: dict[str, str] = field(default_factory=dict)
    departments: dict[str, DepartmentSpec] = field(default_factory=dict)
    divisions: dict[str, DivisionSpec] = field(default_factory=dict)
    roles: dict[str, RoleSpec] = field(default_factory=dict)

    @classmethod
    def build(cls) -> UnitIndex:
        index = cls(roles={role.code: role for role in ROLES})
        for division in DIVISIONS:
            index.divisions[division.code] = division
            for department in division.departments:
                index.departments[department.code] = department
                index.department_division[department.code] = division.code
                for team in department.teams:
                    index.teams[team.code] = team
                    index.team_department[team.code] = department.code
        return index
