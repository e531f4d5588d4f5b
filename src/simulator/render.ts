import {
  COST_CENTERS,
  COUNTRIES,
  type Country,
  JOB_CATEGORIES,
  JOB_PROFILES,
  type JobProfile,
  LOCATIONS,
  type Location,
  MANAGEMENT_LEVELS,
} from './catalog';
import type { Change } from './dataset';
import { OBJ, type OrgInfo } from './model';
import { wid } from './random';
import type { TenantTime } from './time';
import type { SchemaFamily } from './versions';
import type { Person, ViewContext, WorkerView } from './view';

/**
 * Get_Workers XML, element for element in the order of Workday's schema (Human_Resources XSD),
 * references carrying wd:Descriptor and typed IDs as Workday's do. Everything that does not depend
 * on the worker is rendered once per simulator into fragments; a worker is a concatenation of
 * those and a few escaped values, which is what makes a 999-worker page cheap. The shape follows
 * the schema family of the requested version (see versions.ts).
 */

export interface RequestedGroups {
  reference: boolean;
  personal: boolean;
  employment: boolean;
  compensation: boolean;
  organizations: boolean;
  roles: boolean;
  managementChain: boolean;
  transactionLog: boolean;
}

/** Workday's default when a request sets no Response_Group value. */
export const DEFAULT_GROUPS: RequestedGroups = {
  reference: true,
  personal: true,
  employment: true,
  compensation: true,
  organizations: true,
  roles: true,
  managementChain: false,
  transactionLog: false,
};

/** Response_Group element names, in schema order. */
export const GROUP_ELEMENTS: [keyof RequestedGroups, string][] = [
  ['reference', 'Include_Reference'],
  ['personal', 'Include_Personal_Information'],
  ['employment', 'Include_Employment_Information'],
  ['compensation', 'Include_Compensation'],
  ['organizations', 'Include_Organizations'],
  ['roles', 'Include_Roles'],
  ['managementChain', 'Include_Management_Chain_Data'],
  ['transactionLog', 'Include_Transaction_Log_Data'],
];

const ESC = /[&<>"]/;
export function esc(s: string): string {
  if (!ESC.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function ref(tag: string, descriptor: string, ids: [string, string][]): string {
  let s = `<wd:${tag} wd:Descriptor="${esc(descriptor)}">`;
  for (const [t, v] of ids) s += `<wd:ID wd:type="${t}">${esc(v)}</wd:ID>`;
  return `${s}</wd:${tag}>`;
}

const b01 = (b: boolean) => (b ? '1' : '0');

const TERMINATION_REASONS = [
  [
    'Terminate_Employee_Voluntary_Better_Employment_Opportunity',
    'Terminate Employee > Voluntary > Better Employment Opportunity',
    'Voluntary',
    false,
  ],
  [
    'Terminate_Employee_Voluntary_Relocation',
    'Terminate Employee > Voluntary > Relocation',
    'Voluntary',
    false,
  ],
  [
    'Terminate_Employee_Involuntary_Performance',
    'Terminate Employee > Involuntary > Performance',
    'Involuntary',
    true,
  ],
  [
    'Terminate_Employee_Involuntary_Reorganization',
    'Terminate Employee > Involuntary > Reorganization',
    'Involuntary',
    true,
  ],
] as const;

const CHANGE_TYPES: Record<Change['kind'], [string, string]> = {
  hire: ['Hire', 'Hire'],
  termination: ['Termination', 'Termination'],
  rehire: ['Hire', 'Rehire'],
  name: ['Change_Legal_Name', 'Change Legal Name'],
  title: ['Change_Job', 'Change Job'],
  compensation: ['Request_Compensation_Change', 'Request Compensation Change'],
  // Silent (never in the transaction log); named for completeness.
  contact: ['Change_Contact_Information', 'Change Contact Information'],
  leave: ['Request_Leave_of_Absence', 'Request Leave of Absence'],
  return: ['Return_from_Leave', 'Return from Leave'],
  additional_job: ['Add_Additional_Job', 'Add Additional Job'],
  rescind: ['Rescind', 'Rescind Hire'],
};

/** Fragments that only depend on the seed and the tenant. */
class Fragments {
  readonly country = new Map<string, string>();
  readonly currency = new Map<string, string>();
  readonly company = new Map<string, string>();
  readonly nationality = new Map<string, string>();
  readonly site: string[];
  readonly jobSummary: string[];
  readonly jobRef: string[];
  readonly costCenter: string[];
  readonly region: string[];
  readonly workerType = new Map<string, string>();
  readonly usageWork: string;
  readonly usageHome: string;
  readonly mobile: string;
  readonly gender: [string, string];
  readonly marital: string[];
  readonly fullTime: string;
  readonly salary: string;
  readonly hourly: string;
  readonly annual: string;
  readonly hourlyFreq: string;
  readonly salaryPlan: string;
  readonly hourlyPlan: string;
  readonly hireReason: string;
  readonly rehireReason: string;
  readonly conversionReason: string;
  readonly compReason: Record<string, string>;
  readonly termReason: string[];
  readonly termCategory: string[];
  readonly supType: string;
  readonly ccType: string;
  readonly coType: string;
  readonly deptSubtype: string;
  readonly managerRole: string;
  readonly eligibleForHire: string;
  readonly leaveType: string;
  readonly changeType: Record<string, string>;

  constructor(
    readonly seed: number,
    readonly tt: TenantTime,
  ) {
    const w = (kind: number, id: number) => wid(seed, kind, id);
    const misc = (n: number) => w(OBJ.misc, n);
    Object.values(COUNTRIES).forEach((c, i) => {
      this.country.set(
        c.alpha2,
        ref('Country_Reference', c.name, [
          ['WID', w(OBJ.country, i)],
          ['ISO_3166-1_Alpha-2_Code', c.alpha2],
          ['ISO_3166-1_Alpha-3_Code', c.alpha3],
          ['ISO_3166-1_Numeric-3_Code', c.numeric],
        ]),
      );
      if (!this.currency.has(c.currency)) {
        this.currency.set(
          c.currency,
          ref('Currency_Reference', c.currency, [
            ['WID', w(OBJ.currency, i)],
            ['Currency_ID', c.currency],
            ['Currency_Numeric_Code', c.currencyNumeric],
          ]),
        );
      }
    });
    this.region = LOCATIONS.map((l, i) =>
      ref('Country_Region_Reference', l.regionName, [
        ['WID', w(OBJ.region, i)],
        ['Country_Region_ID', l.regionId],
        ['ISO_3166-2_Code', l.regionCode],
      ]),
    );
    this.usageWork = `<wd:Usage_Data wd:Public="1"><wd:Type_Data wd:Primary="1">${ref(
      'Type_Reference',
      'Work',
      [
        ['WID', misc(1)],
        ['Communication_Usage_Type_ID', 'WORK'],
      ],
    )}</wd:Type_Data></wd:Usage_Data>`;
    this.usageHome = `<wd:Usage_Data wd:Public="0"><wd:Type_Data wd:Primary="1">${ref(
      'Type_Reference',
      'Home',
      [
        ['WID', misc(2)],
        ['Communication_Usage_Type_ID', 'HOME'],
      ],
    )}</wd:Type_Data></wd:Usage_Data>`;
    this.mobile = ref('Phone_Device_Type_Reference', 'Mobile', [
      ['WID', misc(3)],
      ['Phone_Device_Type_ID', 'Mobile'],
    ]);
    this.gender = [
      ref('Gender_Reference', 'Male', [
        ['WID', misc(4)],
        ['Gender_Code', 'Male'],
      ]),
      ref('Gender_Reference', 'Female', [
        ['WID', misc(5)],
        ['Gender_Code', 'Female'],
      ]),
    ];
    this.marital = ['Single', 'Married', 'Divorced', 'Domestic_Partner'].map((m, i) =>
      ref('Marital_Status_Reference', m.replace('_', ' '), [
        ['WID', misc(10 + i)],
        ['Marital_Status_ID', `${m}_(United_States_of_America)`],
      ]),
    );
    for (const [id, name, n] of [
      ['Regular', 'Regular', 20],
      ['Fixed_Term', 'Fixed Term', 21],
    ] as const) {
      this.workerType.set(
        id,
        ref('Worker_Type_Reference', name, [
          ['WID', misc(n)],
          ['Employee_Type_ID', id],
        ]),
      );
    }
    for (const [id, n] of [
      ['Contractor', 22],
      ['Consultant', 23],
    ] as const) {
      this.workerType.set(
        id,
        ref('Worker_Type_Reference', id, [
          ['WID', misc(n)],
          ['Contingent_Worker_Type_ID', id],
        ]),
      );
    }
    this.fullTime = ref('Position_Time_Type_Reference', 'Full time', [
      ['WID', misc(30)],
      ['Position_Time_Type_ID', 'Full_time'],
    ]);
    this.salary = ref('Pay_Rate_Type_Reference', 'Salary', [
      ['WID', misc(31)],
      ['Pay_Rate_Type_ID', 'Salary'],
    ]);
    this.hourly = ref('Pay_Rate_Type_Reference', 'Hourly', [
      ['WID', misc(32)],
      ['Pay_Rate_Type_ID', 'Hourly'],
    ]);
    this.annual = ref('Frequency_Reference', 'Annual', [
      ['WID', misc(33)],
      ['Frequency_ID', 'Annual'],
    ]);
    this.hourlyFreq = ref('Frequency_Reference', 'Hourly', [
      ['WID', misc(34)],
      ['Frequency_ID', 'Hourly'],
    ]);
    this.salaryPlan =
      ref('Compensation_Plan_Reference', 'Salary Plan', [
        ['WID', misc(35)],
        ['Compensation_Plan_ID', 'SALARY_PLAN'],
      ]) +
      ref('Compensation_Element_Reference', 'Salary', [
        ['WID', misc(36)],
        ['Compensation_Element_ID', 'SALARY'],
      ]);
    this.hourlyPlan =
      ref('Compensation_Plan_Reference', 'Hourly Plan', [
        ['WID', misc(37)],
        ['Compensation_Plan_ID', 'HOURLY_PLAN'],
      ]) +
      ref('Compensation_Element_Reference', 'Hourly Wage', [
        ['WID', misc(38)],
        ['Compensation_Element_ID', 'HOURLY'],
      ]);
    this.hireReason = ref('Hire_Reason_Reference', 'Hire Employee > New Hire > Fill Vacancy', [
      ['WID', misc(40)],
      ['General_Event_Subcategory_ID', 'Hire_Employee_New_Hire_Fill_Vacancy'],
    ]);
    this.rehireReason = ref('Hire_Reason_Reference', 'Hire Employee > Rehire > Rehire', [
      ['WID', misc(41)],
      ['General_Event_Subcategory_ID', 'Hire_Employee_Rehire_Rehire'],
    ]);
    this.conversionReason = ref(
      'Hire_Reason_Reference',
      'Hire Employee > Convert Contingent > Convert Contingent Worker to Employee',
      [
        ['WID', misc(42)],
        ['General_Event_Subcategory_ID', 'Hire_Employee_Convert_Contingent_Convert_Contingent_Worker'],
      ],
    );
    this.compReason = Object.fromEntries(
      [
        ['hire', 'Hire Employee > Hire Employee > New Hire', 'Hire_Employee_Hire_Employee_New_Hire'],
        ['rehire', 'Hire Employee > Hire Employee > Rehire', 'Hire_Employee_Hire_Employee_Rehire'],
        [
          'merit',
          'Request Compensation Change > Merit > Annual Merit',
          'Request_Compensation_Change_Merit_Annual_Merit',
        ],
        ['promotion', 'Change Job > Promotion > Promotion', 'Change_Job_Promotion_Promotion'],
      ].map(([k, d, id], i) => [
        k,
        ref('Reason_Reference', d, [
          ['WID', misc(50 + i)],
          ['Event_Classification_Subcategory_ID', id],
        ]),
      ]),
    );
    this.termReason = TERMINATION_REASONS.map(([id, d], i) =>
      ref('Primary_Termination_Reason_Reference', d, [
        ['WID', misc(60 + i)],
        ['Termination_Subcategory_ID', id],
      ]),
    );
    this.termCategory = TERMINATION_REASONS.map(([, , cat]) =>
      ref('Primary_Termination_Category_Reference', `Terminate Employee > ${cat}`, [
        ['WID', misc(cat === 'Voluntary' ? 70 : 71)],
        ['Event_Classification_Category_ID', `Terminate_Employee_${cat}`],
      ]),
    );
    this.supType = ref('Organization_Type_Reference', 'Supervisory', [
      ['WID', misc(80)],
      ['Organization_Type_ID', 'SUPERVISORY'],
    ]);
    this.ccType = ref('Organization_Type_Reference', 'Cost Center', [
      ['WID', misc(81)],
      ['Organization_Type_ID', 'COST_CENTER'],
    ]);
    this.coType = ref('Organization_Type_Reference', 'Company', [
      ['WID', misc(82)],
      ['Organization_Type_ID', 'COMPANY'],
    ]);
    this.deptSubtype = ref('Organization_Subtype_Reference', 'Department', [
      ['WID', misc(83)],
      ['Organization_Subtype_ID', 'Department'],
    ]);
    this.managerRole = ref('Organization_Role_Reference', 'Manager', [
      ['WID', misc(84)],
      ['Organization_Role_ID', 'Manager'],
    ]);
    this.eligibleForHire = ref('Eligible_for_Hire_Reference', 'Yes', [
      ['WID', misc(85)],
      ['Common_Yes_No_ID', 'Yes'],
    ]);
    this.leaveType = ref('Leave_of_Absence_Type_Reference', 'Personal Leave', [
      ['WID', misc(86)],
      ['Leave_of_Absence_Type_ID', 'Personal_Leave'],
    ]);
    this.changeType = Object.fromEntries(
      Object.entries(CHANGE_TYPES).map(([k, [id, d]], i) => [
        k,
        ref('Transaction_Log_Type_Reference', d, [
          ['WID', misc(90 + i)],
          ['Business_Process_Type', id],
        ]),
      ]),
    );
    Object.values(COUNTRIES).forEach((c, i) => {
      const id = `CO-${c.alpha2}`;
      const orgRef = ref('Organization_Reference', c.company, [
        ['WID', w(OBJ.company, i)],
        ['Organization_Reference_ID', id],
        ['Company_Reference_ID', id],
      ]);
      this.company.set(c.alpha2, this.orgMembership(orgRef, id, c.company, 'coType', undefined));
      this.nationality.set(
        c.alpha2,
        this.country.get(c.alpha2)!.replace(/Country_Reference/g, 'Primary_Nationality_Reference'),
      );
    });
    this.site = LOCATIONS.map((l, i) => this.siteSummary(l, i));
    this.jobRef = JOB_PROFILES.map((j, i) =>
      ref('Job_Profile_Reference', j.name, [
        ['WID', w(OBJ.job, i)],
        ['Job_Profile_ID', j.id],
      ]),
    );
    this.jobSummary = JOB_PROFILES.map((j, i) => this.jobProfileSummary(j, i));
    this.costCenter = COST_CENTERS.map((c, i) =>
      this.orgMembership(
        ref('Organization_Reference', c.name, [
          ['WID', w(OBJ.costCenter, i)],
          ['Organization_Reference_ID', c.id],
          ['Cost_Center_Reference_ID', c.id],
        ]),
        c.id,
        c.name,
        'ccType',
        undefined,
      ),
    );
  }

  orgMembership(
    orgRef: string,
    id: string,
    name: string,
    type: 'supType' | 'ccType' | 'coType',
    subtype: string | undefined,
  ): string {
    return (
      `<wd:Worker_Organization_Data>${orgRef}<wd:Organization_Data><wd:Organization_Reference_ID>${esc(id)}</wd:Organization_Reference_ID>` +
      `<wd:Organization_Code>${esc(id)}</wd:Organization_Code><wd:Organization_Name>${esc(name)}</wd:Organization_Name>` +
      `${this[type] ?? ''}${subtype ?? ''}<wd:Used_in_Change_Organization_Assignments>0</wd:Used_in_Change_Organization_Assignments>` +
      '</wd:Organization_Data></wd:Worker_Organization_Data>'
    );
  }

  private jobProfileSummary(j: JobProfile, i: number): string {
    const misc = (n: number) => wid(this.seed, OBJ.misc, n);
    return (
      `<wd:Job_Profile_Summary_Data>${
        this.jobRef?.[i] ??
        ref('Job_Profile_Reference', j.name, [
          ['WID', wid(this.seed, OBJ.job, i)],
          ['Job_Profile_ID', j.id],
        ])
      }` +
      `<wd:Job_Exempt>${b01(j.exempt)}</wd:Job_Exempt>` +
      ref('Management_Level_Reference', MANAGEMENT_LEVELS[j.level], [
        ['WID', misc(200 + Object.keys(MANAGEMENT_LEVELS).indexOf(j.level))],
        ['Management_Level_ID', j.level],
      ]) +
      ref('Job_Category_Reference', JOB_CATEGORIES[j.category], [
        ['WID', misc(220 + Object.keys(JOB_CATEGORIES).indexOf(j.category))],
        ['Job_Category_ID', j.category],
      ]) +
      ref('Job_Family_Reference', j.family.replace(/_/g, ' '), [
        ['WID', misc(240 + ((j.family.length * 7) % 50))],
        ['Job_Family_ID', j.family],
      ]) +
      `<wd:Job_Profile_Name>${esc(j.name)}</wd:Job_Profile_Name><wd:Work_Shift_Required>0</wd:Work_Shift_Required>` +
      `<wd:Critical_Job>${b01(j.level !== 'Individual_Contributor')}</wd:Critical_Job></wd:Job_Profile_Summary_Data>`
    );
  }

  private siteSummary(l: Location, i: number): string {
    const misc = (n: number) => wid(this.seed, OBJ.misc, n);
    const c = COUNTRIES[l.country];
    return (
      `<wd:Business_Site_Summary_Data>${ref('Location_Reference', l.name, [
        ['WID', wid(this.seed, OBJ.location, i)],
        ['Location_ID', l.id],
      ])}` +
      `<wd:Name>${esc(l.name)}</wd:Name>` +
      ref('Location_Type_Reference', 'Business Site', [
        ['WID', misc(300)],
        ['Location_Type_ID', 'BUSINESS_SITE'],
      ]) +
      ref('Local_Reference', l.localeName, [
        ['WID', misc(310 + i)],
        ['Locale_ID', l.locale],
      ]) +
      ref('Time_Profile_Reference', 'Standard Hours - 40', [
        ['WID', misc(301)],
        ['Time_Profile_ID', 'Standard_Hours_40'],
      ]) +
      '<wd:Scheduled_Weekly_Hours>40</wd:Scheduled_Weekly_Hours>' +
      this.address(c, l, [l.street], 'Business', this.usageWork, `ADDRESS_REFERENCE-SITE-${i}`, true, null) +
      '</wd:Business_Site_Summary_Data>'
    );
  }

  address(
    c: Country,
    l: Location,
    lines: string[],
    _kind: string,
    usage: string,
    id: string,
    site: boolean,
    effective: number | null,
  ): string {
    const formatted = [...lines, `${l.city}, ${l.regionName} ${l.postal}`, c.name].map(esc).join('&#xa;');
    let s = `<wd:Address_Data wd:Formatted_Address="${formatted}" wd:Address_Format_Type="Basic" wd:Defaulted_Business_Site_Address="${b01(site)}"`;
    if (effective !== null) s += ` wd:Effective_Date="${this.tt.date(effective)}"`;
    s += `>${this.country.get(c.alpha2)}`;
    lines.forEach((line, n) => {
      s += `<wd:Address_Line_Data wd:Type="ADDRESS_LINE_${n + 1}" wd:Descriptor="Address Line ${n + 1}">${esc(line)}</wd:Address_Line_Data>`;
    });
    s += `<wd:Municipality>${esc(l.city)}</wd:Municipality>${this.region[LOCATIONS.indexOf(l)]}`;
    s += `<wd:Country_Region_Descriptor>${esc(l.regionName)}</wd:Country_Region_Descriptor><wd:Postal_Code>${esc(l.postal)}</wd:Postal_Code>`;
    return `${s}${usage}<wd:Address_ID>${id}</wd:Address_ID></wd:Address_Data>`;
  }
}

const fragmentCache = new Map<string, Fragments>();
function fragments(seed: number, tt: TenantTime): Fragments {
  const key = `${seed}|${tt.tz}`;
  let f = fragmentCache.get(key);
  if (!f) {
    f = new Fragments(seed, tt);
    fragmentCache.set(key, f);
  }
  return f;
}

export function workerRef(tag: string, p: Person): string {
  return (
    `<wd:${tag} wd:Descriptor="${esc(p.descriptor)}"><wd:ID wd:type="WID">${p.wid}</wd:ID>` +
    `<wd:ID wd:type="${p.isEmployee ? 'Employee_ID' : 'Contingent_Worker_ID'}">${p.workerId}</wd:ID></wd:${tag}>`
  );
}

function supOrgRef(tag: string, org: OrgInfo, head?: Person): string {
  const d = head ? `${org.name} (${head.descriptor})` : org.name;
  return ref(tag, d, [
    ['WID', org.wid],
    ['Organization_Reference_ID', org.id],
  ]);
}

export class WorkerRenderer {
  private readonly f: Fragments;

  constructor(
    readonly ctx: ViewContext,
    readonly groups: RequestedGroups,
    readonly family: SchemaFamily = 'v31',
  ) {
    this.f = fragments(ctx.ds.seed, ctx.ds.tt);
  }

  render(v: WorkerView): string {
    const g = this.groups;
    let s = '<wd:Worker>';
    if (g.reference) s += workerRef('Worker_Reference', v);
    s += `<wd:Worker_Descriptor>${esc(v.descriptor)}</wd:Worker_Descriptor><wd:Worker_Data>`;
    s += `<wd:Worker_ID>${v.workerId}</wd:Worker_ID><wd:User_ID>${esc(v.userId)}</wd:User_ID>`;
    if (v.st.universalId) s += `<wd:Universal_ID>${v.st.universalId}</wd:Universal_ID>`;
    if (g.personal) s += this.personal(v);
    if (g.employment) s += this.employment(v);
    if (g.compensation) s += this.compensation(v);
    if (g.organizations) s += this.organizations(v);
    if (g.roles) s += this.roles(v);
    if (g.managementChain) s += this.managementChain(v);
    if (g.transactionLog) s += this.transactionLog(v);
    return `${s}</wd:Worker_Data></wd:Worker>`;
  }

  private nameDetail(v: WorkerView, first: string): string {
    const formatted = `${first} ${v.last}`;
    return (
      `<wd:Name_Detail_Data wd:Formatted_Name="${esc(formatted)}" wd:Reporting_Name="${esc(`${v.last}, ${first}`)}">` +
      `${this.f.country.get(v.country.alpha2)}<wd:First_Name>${esc(first)}</wd:First_Name>` +
      `<wd:Last_Name>${esc(v.last)}</wd:Last_Name></wd:Name_Detail_Data>`
    );
  }

  private personal(v: WorkerView): string {
    const f = this.f;
    const tt = this.ctx.ds.tt;
    const b = v.st.b;
    let s = `<wd:Personal_Data><wd:Name_Data><wd:Legal_Name_Data>${this.nameDetail(v, v.first)}</wd:Legal_Name_Data>`;
    s += `<wd:Preferred_Name_Data>${this.nameDetail(v, v.preferredFirst ?? v.first)}</wd:Preferred_Name_Data></wd:Name_Data>`;
    s += f.gender[v.female ? 1 : 0];
    s += `<wd:Birth_Date>${tt.date(b.birthDay)}</wd:Birth_Date>${f.marital[b.maritalIdx]}`;
    s += f.nationality.get(v.country.alpha2);
    s += '<wd:Contact_Data>';
    s += f.address(
      v.country,
      v.location,
      v.home.lines,
      'Home',
      f.usageHome,
      `ADDRESS_REFERENCE-6-${b.index}`,
      false,
      v.st.originalHireDay,
    );
    s += this.phone(v);
    s += `${f.mobile}${f.usageWork}<wd:ID>PHONE_REFERENCE-3-${b.index}</wd:ID></wd:Phone_Data>`;
    s += `<wd:Email_Address_Data><wd:Email_Address>${esc(v.workEmail)}</wd:Email_Address>${f.usageWork}<wd:ID>EMAIL_REFERENCE-3-${b.index}</wd:ID></wd:Email_Address_Data>`;
    s += `<wd:Email_Address_Data><wd:Email_Address>${esc(v.homeEmail)}</wd:Email_Address>${f.usageHome}<wd:ID>EMAIL_REFERENCE-4-${b.index}</wd:ID></wd:Email_Address_Data>`;
    return `${s}</wd:Contact_Data></wd:Personal_Data>`;
  }

  /** Phone_Data up to its number: v31 moved the area code and every format into attributes. */
  private phone(v: WorkerView): string {
    const { area, number, formatted } = v.phone;
    const code = v.country.phoneCode;
    const iso = `<wd:Country_ISO_Code>${v.country.alpha3}</wd:Country_ISO_Code><wd:International_Phone_Code>${code}</wd:International_Phone_Code>`;
    if (this.family !== 'v31') {
      return `<wd:Phone_Data wd:Formatted_Phone="${formatted}">${iso}<wd:Area_Code>${area}</wd:Area_Code><wd:Phone_Number>${number}</wd:Phone_Number>`;
    }
    return (
      `<wd:Phone_Data wd:Area_Code="${area}" wd:Phone_Number_Without_Area_Code="${number}" wd:E164_Formatted_Phone="+${code}${area}${number.replace(/\D/g, '')}"` +
      ` wd:International_Formatted_Phone="+${code} ${area} ${number}" wd:National_Formatted_Phone="(${area}) ${number}" wd:Tenant_Formatted_Phone="${formatted}">` +
      `${iso}<wd:Phone_Number>${area} ${number}</wd:Phone_Number>`
    );
  }

  private employment(v: WorkerView): string {
    const f = this.f;
    const tt = this.ctx.ds.tt;
    const st = v.st;
    const seed = this.ctx.ds.seed;
    const hourly = v.frequency === 'Hourly';
    // v2x has no Worker_Job_Data: the primary position is the Employment_Data's own first
    // Position_Data, additional jobs the Position_Data after it.
    const wrap = this.family !== 'v2x';
    let s = '<wd:Employment_Data>';
    const jobs = [
      { primary: true, job: st.job, id: v.positionId, n: 0, since: st.positionEffective, start: st.hireDay },
      ...st.additionalJobs.map((a) => ({
        primary: false,
        job: a.job,
        id: `${v.positionId}-${a.n}`,
        n: a.n,
        since: a.since,
        start: a.since,
      })),
    ];
    for (const j of jobs) {
      const job = JOB_PROFILES[j.job];
      if (wrap) s += `<wd:Worker_Job_Data wd:Primary_Job="${b01(j.primary)}">`;
      s += `<wd:Position_Data wd:Effective_Date="${tt.date(j.since)}">`;
      s += ref('Position_Reference', `${j.id} ${job.name} - ${v.descriptor}`, [
        ['WID', wid(seed, OBJ.position, j.n ? j.n * 100_000_000 + st.b.index : st.b.index)],
        ['Position_ID', j.id],
      ]);
      s += `<wd:Position_ID>${j.id}</wd:Position_ID><wd:Position_Title>${esc(job.name)}</wd:Position_Title>`;
      s += `<wd:Business_Title>${esc(j.primary ? st.businessTitle : job.name)}</wd:Business_Title><wd:Start_Date>${tt.date(j.start)}</wd:Start_Date>`;
      s += `${f.workerType.get(v.workerTypeId)}${f.fullTime}<wd:Job_Exempt>${b01(job.exempt)}</wd:Job_Exempt>`;
      s +=
        '<wd:Scheduled_Weekly_Hours>40</wd:Scheduled_Weekly_Hours><wd:Default_Weekly_Hours>40</wd:Default_Weekly_Hours>';
      s += `<wd:Full_Time_Equivalent_Percentage>100</wd:Full_Time_Equivalent_Percentage><wd:Exclude_from_Headcount>${b01(!j.primary)}</wd:Exclude_from_Headcount>`;
      s += hourly ? f.hourly : f.salary;
      s += f.jobSummary[j.job] + f.site[st.b.loc];
      if (v.manager) s += workerRef('Manager_as_of_last_detected_manager_change_Reference', v.manager);
      s += `</wd:Position_Data>${wrap ? '</wd:Worker_Job_Data>' : ''}`;
    }
    s += `<wd:Worker_Status_Data><wd:Active>${b01(st.active)}</wd:Active><wd:Active_Status_Date>${tt.date(st.activeStatusDay)}</wd:Active_Status_Date>`;
    s += `<wd:Hire_Date>${tt.date(st.hireDay)}</wd:Hire_Date><wd:Original_Hire_Date>${tt.date(st.originalHireDay)}</wd:Original_Hire_Date>`;
    s += st.rehire ? f.rehireReason : st.conversion ? f.conversionReason : f.hireReason;
    s += `<wd:Continuous_Service_Date>${tt.date(st.hireDay)}</wd:Continuous_Service_Date><wd:First_Day_of_Work>${tt.date(st.hireDay)}</wd:First_Day_of_Work>`;
    s += `<wd:Retired>0</wd:Retired><wd:Seniority_Date>${tt.date(st.originalHireDay)}</wd:Seniority_Date>`;
    s += `<wd:Benefits_Service_Date>${tt.date(st.originalHireDay)}</wd:Benefits_Service_Date><wd:Company_Service_Date>${tt.date(st.originalHireDay)}</wd:Company_Service_Date>`;
    s += `<wd:Terminated>${b01(st.terminated)}</wd:Terminated>`;
    if (st.terminated && st.termDay !== undefined) {
      const r = st.termReason ?? 0;
      s += `<wd:Termination_Date>${tt.date(st.termDay)}</wd:Termination_Date><wd:Pay_Through_Date>${tt.date(st.termDay)}</wd:Pay_Through_Date>`;
      s += `${f.termReason[r]}${f.termCategory[r]}<wd:Termination_Involuntary>${b01(TERMINATION_REASONS[r][3])}</wd:Termination_Involuntary>`;
      s += `${this.eligible()}<wd:Regrettable_Termination>${b01(r === 0)}</wd:Regrettable_Termination>`;
      s += `<wd:Hire_Rescinded>${b01(st.hireRescinded)}</wd:Hire_Rescinded><wd:Termination_Last_Day_of_Work>${tt.date(st.termDay)}</wd:Termination_Last_Day_of_Work>`;
    } else {
      s += `${this.eligible()}<wd:Hire_Rescinded>${b01(st.hireRescinded)}</wd:Hire_Rescinded>`;
    }
    if (st.leave) {
      const l = st.leave;
      s += `<wd:Leave_Status_Data><wd:On_Leave>${b01(st.onLeave)}</wd:On_Leave><wd:Leave_Start_Date>${tt.date(l.start)}</wd:Leave_Start_Date>`;
      s += `<wd:Estimated_Leave_End_Date>${tt.date(l.estimatedEnd)}</wd:Estimated_Leave_End_Date>`;
      if (l.end !== undefined)
        s += `<wd:Leave_End_Date>${tt.date(l.end)}</wd:Leave_End_Date><wd:First_Day_Of_Work>${tt.date(l.end + 1)}</wd:First_Day_Of_Work>`;
      s += `<wd:Leave_Last_Day_of_Work>${tt.date(l.start - 1)}</wd:Leave_Last_Day_of_Work>${f.leaveType}</wd:Leave_Status_Data>`;
    }
    return `${s}<wd:Rehire>${b01(st.rehire)}</wd:Rehire></wd:Worker_Status_Data></wd:Employment_Data>`;
  }

  /** v31 replaced the Not_Eligible_for_Hire flag with a Yes/No reference, in the same place. */
  private eligible(): string {
    return this.family === 'v31'
      ? this.f.eligibleForHire
      : '<wd:Not_Eligible_for_Hire>0</wd:Not_Eligible_for_Hire>';
  }

  private compensation(v: WorkerView): string {
    const f = this.f;
    const tt = this.ctx.ds.tt;
    const st = v.st;
    const hourly = v.frequency === 'Hourly';
    let s = `<wd:Compensation_Data><wd:Compensation_Effective_Date>${tt.date(st.compEffective)}</wd:Compensation_Effective_Date>`;
    s += f.compReason[st.compReason];
    s += `<wd:Salary_and_Hourly_Data>${hourly ? f.hourlyPlan : f.salaryPlan}<wd:Amount>${st.pay}</wd:Amount>`;
    s += `${f.currency.get(v.currency)}${hourly ? f.hourlyFreq : f.annual}`;
    s += `<wd:Assignment_Effective_Date>${tt.date(st.compEffective)}</wd:Assignment_Effective_Date></wd:Salary_and_Hourly_Data>`;
    return `${s}</wd:Compensation_Data>`;
  }

  private organizations(v: WorkerView): string {
    const f = this.f;
    const head = this.ctx.person(v.org.head);
    let s = '<wd:Organization_Data>';
    s += f.orgMembership(
      supOrgRef('Organization_Reference', v.org, head),
      v.org.id,
      v.org.name,
      'supType',
      f.deptSubtype,
    );
    s += f.costCenter[v.costCenter.k] + f.company.get(v.country.alpha2);
    return `${s}</wd:Organization_Data>`;
  }

  private roles(v: WorkerView): string {
    if (!v.managedOrg) return '<wd:Role_Data/>';
    const tt = this.ctx.ds.tt;
    return (
      `<wd:Role_Data><wd:Organization_Role_Data><wd:Organization_Role>${this.f.managerRole}<wd:Organization_Role_Data>` +
      supOrgRef('Role_Assigner_Reference', v.managedOrg, v) +
      `<wd:Effective_Date>${tt.date(v.st.originalHireDay)}</wd:Effective_Date></wd:Organization_Role_Data></wd:Organization_Role>` +
      '</wd:Organization_Role_Data></wd:Role_Data>'
    );
  }

  private managementChain(v: WorkerView): string {
    let s = '<wd:Management_Chain_Data><wd:Worker_Supervisory_Management_Chain_Data>';
    for (const { org, manager } of this.ctx.chain(v)) {
      s += `<wd:Management_Chain_Data>${supOrgRef('Organization_Reference', org, manager)}`;
      if (manager) {
        s += workerRef('Manager_Reference', manager);
        s += `<wd:Manager>${workerRef('Worker_Reference', manager)}<wd:Worker_Descriptor>${esc(manager.descriptor)}</wd:Worker_Descriptor></wd:Manager>`;
      }
      s += '</wd:Management_Chain_Data>';
    }
    return `${s}</wd:Worker_Supervisory_Management_Chain_Data></wd:Management_Chain_Data>`;
  }

  private transactionLog(v: WorkerView): string {
    const tt = this.ctx.ds.tt;
    const seed = this.ctx.ds.seed;
    let s = '<wd:Transaction_Log_Entry_Data>';
    for (const e of v.st.events) {
      const [, label] = CHANGE_TYPES[e.kind];
      const id = e.seq < 0 ? (e.kind === 'hire' ? 1 : 2) * 10_000_000 + e.index : 100_000_000 + e.seq;
      s += `<wd:Transaction_Log_Entry>${ref('Transaction_Log_Reference', `${label}: ${v.descriptor}`, [['WID', wid(seed, OBJ.txlog, id)]])}`;
      s += `<wd:Transaction_Log_Data><wd:Transaction_Log_Description>${esc(`${label}: ${v.descriptor}`)}</wd:Transaction_Log_Description>`;
      s += `<wd:Transaction_Effective_Moment>${tt.dateTime(tt.startOf(e.effective))}</wd:Transaction_Effective_Moment>`;
      s += `<wd:Transaction_Entry_Moment>${tt.dateTime(e.entry)}</wd:Transaction_Entry_Moment>${this.f.changeType[e.kind]}`;
      // The rescind and the hire it rescinded are both marked.
      const rescinded = e.kind === 'rescind' || (e.kind === 'hire' && v.st.hireRescinded);
      s += `<wd:Is_Rescind_Or_Rescinded>${b01(rescinded)}</wd:Is_Rescind_Or_Rescinded><wd:Is_Correction_Or_Corrected>0</wd:Is_Correction_Or_Corrected>`;
      s += '</wd:Transaction_Log_Data></wd:Transaction_Log_Entry>';
    }
    return `${s}</wd:Transaction_Log_Entry_Data>`;
  }
}
