/**
 * The simulator's own Human_Resources WSDL: only Get_Workers, with Workday's element names and
 * sequence order for exactly the elements the simulator sends and accepts, so generated clients
 * (node-soap, zeep, JAX-WS, .NET) bind to it and its schema validates the simulator's pages.
 * Type names follow Workday's where they exist. Each schema family (versions.ts) has its own schema,
 * and `?wsdl` describes the family of the version in its URL.
 */

import { type SchemaFamily, schemaFamily } from './versions';

type Field = [name: string, type: string, min?: 0 | 1, max?: 1 | 'unbounded'];
type Attr = [name: string, type: string, required?: boolean];

const S = 'xsd:string';
const B = 'xsd:boolean';
const D = 'xsd:date';
const DT = 'xsd:dateTime';
const N = 'xsd:decimal';
const REF = 'wd:ObjectType';

function complex(name: string, fields: Field[], attrs: Attr[] = []): string {
  const seq = fields
    .map(
      ([n, t, min = 0, max = 1]) =>
        `<xsd:element name="${n}" type="${t}" minOccurs="${min}" maxOccurs="${max}"/>`,
    )
    .join('');
  return `<xsd:complexType name="${name}"><xsd:sequence>${seq}</xsd:sequence>${attributes(attrs)}</xsd:complexType>`;
}

function simpleContent(name: string, attrs: Attr[]): string {
  return `<xsd:complexType name="${name}"><xsd:simpleContent><xsd:extension base="xsd:string">${attributes(attrs)}</xsd:extension></xsd:simpleContent></xsd:complexType>`;
}

function attributes(attrs: Attr[]): string {
  return attrs
    .map(([n, t, req]) => `<xsd:attribute name="${n}" type="${t}"${req ? ' use="required"' : ''}/>`)
    .join('');
}

/** Types that are the same in every family. */
const COMMON_TYPES: string[] = [
  simpleContent('ObjectIDType', [
    ['type', S, true],
    ['parent_id', S],
    ['parent_type', S],
  ]),
  complex('ObjectType', [['ID', 'wd:ObjectIDType', 0, 'unbounded']], [['Descriptor', S]]),
  complex('Workday_Common_HeaderType', [['Include_Reference_Descriptors_In_Response', B]]),
  complex('Validation_ErrorType', [
    ['Message', S],
    ['Detail_Message', S],
    ['Xpath', S],
  ]),
  complex('Validation_FaultType', [['Validation_Error', 'wd:Validation_ErrorType', 0, 'unbounded']]),
  complex('Processing_FaultType', [['Detail_Message', S]]),
  complex(
    'Worker_Request_ReferencesType',
    [['Worker_Reference', REF, 1, 'unbounded']],
    [['Skip_Non_Existing_Instances', B]],
  ),
  complex('Effective_And_Updated_DateTime_DataType', [
    ['Updated_From', DT],
    ['Updated_Through', DT],
    ['Effective_From', DT],
    ['Effective_Through', DT],
  ]),
  complex('Transaction_Log_CriteriaType', [
    ['Transaction_Date_Range_Data', 'wd:Effective_And_Updated_DateTime_DataType'],
  ]),
  complex('Worker_Request_CriteriaType', [
    ['Transaction_Log_Criteria_Data', 'wd:Transaction_Log_CriteriaType', 0, 'unbounded'],
    ['Organization_Reference', REF, 0, 'unbounded'],
    ['Include_Subordinate_Organizations', B],
    ['Exclude_Inactive_Workers', B],
    ['Exclude_Employees', B],
    ['Exclude_Contingent_Workers', B],
  ]),
  complex('Response_FilterType', [
    ['As_Of_Effective_Date', D],
    ['As_Of_Entry_DateTime', DT],
    ['Page', N],
    ['Count', N],
  ]),
  complex('Worker_Response_GroupType', [
    ['Include_Reference', B],
    ['Include_Personal_Information', B],
    ['Include_Employment_Information', B],
    ['Include_Compensation', B],
    ['Include_Organizations', B],
    ['Include_Roles', B],
    ['Include_Management_Chain_Data', B],
    ['Include_Transaction_Log_Data', B],
  ]),
  complex(
    'Get_Workers_RequestType',
    [
      ['Request_References', 'wd:Worker_Request_ReferencesType'],
      ['Request_Criteria', 'wd:Worker_Request_CriteriaType'],
      ['Response_Filter', 'wd:Response_FilterType'],
      ['Response_Group', 'wd:Worker_Response_GroupType'],
    ],
    [['version', S]],
  ),
  complex('Response_ResultsType', [
    ['Total_Results', N],
    ['Total_Pages', N],
    ['Page_Results', N],
    ['Page', N],
  ]),
  complex(
    'Get_Workers_ResponseType',
    [
      ['Request_References', 'wd:Worker_Request_ReferencesType'],
      ['Request_Criteria', 'wd:Worker_Request_CriteriaType'],
      ['Response_Filter', 'wd:Response_FilterType'],
      ['Response_Group', 'wd:Worker_Response_GroupType'],
      ['Response_Results', 'wd:Response_ResultsType'],
      ['Response_Data', 'wd:Workers_Response_DataType'],
    ],
    [['version', S]],
  ),
  complex('Workers_Response_DataType', [['Worker', 'wd:WorkerType', 0, 'unbounded']]),
  complex('WorkerType', [
    ['Worker_Reference', REF],
    ['Worker_Descriptor', S],
    ['Worker_Data', 'wd:Worker_DataType'],
  ]),
  complex('Worker_DataType', [
    ['Worker_ID', S],
    ['User_ID', S],
    ['Universal_ID', S],
    ['Personal_Data', 'wd:Personal_Information_DataType'],
    ['Employment_Data', 'wd:Worker_Employment_Information_DataType'],
    ['Compensation_Data', 'wd:Worker_Compensation_DataType'],
    ['Organization_Data', 'wd:Worker_Organization_DataType'],
    ['Role_Data', 'wd:Worker_Role_DataType'],
    ['Management_Chain_Data', 'wd:Worker_Management_Chain_DataType'],
    ['Transaction_Log_Entry_Data', 'wd:Event_Target_Transaction_Log_Entry_DataType'],
  ]),
  complex('Personal_Information_DataType', [
    ['Name_Data', 'wd:Person_Name_DataType'],
    ['Gender_Reference', REF],
    ['Birth_Date', D],
    ['Marital_Status_Reference', REF],
    ['Primary_Nationality_Reference', REF],
    ['Contact_Data', 'wd:Contact_Information_DataType'],
  ]),
  complex('Person_Name_DataType', [
    ['Legal_Name_Data', 'wd:Legal_Name_DataType'],
    ['Preferred_Name_Data', 'wd:Preferred_Name_DataType'],
  ]),
  complex('Legal_Name_DataType', [['Name_Detail_Data', 'wd:Person_Name_Detail_DataType', 1]]),
  complex('Preferred_Name_DataType', [['Name_Detail_Data', 'wd:Person_Name_Detail_DataType', 1]]),
  complex(
    'Person_Name_Detail_DataType',
    [
      ['Country_Reference', REF, 1],
      ['First_Name', S],
      ['Middle_Name', S],
      ['Last_Name', S],
    ],
    [
      ['Formatted_Name', S],
      ['Reporting_Name', S],
    ],
  ),
  complex('Contact_Information_DataType', [
    ['Address_Data', 'wd:Address_Information_DataType', 0, 'unbounded'],
    ['Phone_Data', 'wd:Phone_Information_DataType', 0, 'unbounded'],
    ['Email_Address_Data', 'wd:Email_Address_Information_DataType', 0, 'unbounded'],
  ]),
  complex(
    'Address_Information_DataType',
    [
      ['Country_Reference', REF],
      ['Last_Modified', DT],
      ['Address_Line_Data', 'wd:Address_Line_Information_DataType', 0, 'unbounded'],
      ['Municipality', S],
      ['Country_Region_Reference', REF],
      ['Country_Region_Descriptor', S],
      ['Postal_Code', S],
      ['Usage_Data', 'wd:Communication_Method_Usage_Information_DataType', 0, 'unbounded'],
      ['Address_ID', S],
    ],
    [
      ['Formatted_Address', S],
      ['Address_Format_Type', S],
      ['Defaulted_Business_Site_Address', B],
      ['Effective_Date', D],
    ],
  ),
  simpleContent('Address_Line_Information_DataType', [
    ['Descriptor', S],
    ['Type', S],
  ]),
  complex(
    'Communication_Method_Usage_Information_DataType',
    [['Type_Data', 'wd:Communication_Usage_Type_DataType', 1, 'unbounded']],
    [['Public', B]],
  ),
  complex('Communication_Usage_Type_DataType', [['Type_Reference', REF, 1]], [['Primary', B]]),
  complex('Email_Address_Information_DataType', [
    ['Email_Address', S],
    ['Usage_Data', 'wd:Communication_Method_Usage_Information_DataType', 0, 'unbounded'],
    ['ID', S],
  ]),
  complex(
    'Position_Detail_DataType',
    [
      ['Position_Reference', REF],
      ['Position_ID', S],
      ['Position_Title', S],
      ['Business_Title', S],
      ['Start_Date', D],
      ['Worker_Type_Reference', REF],
      ['Position_Time_Type_Reference', REF],
      ['Job_Exempt', B],
      ['Scheduled_Weekly_Hours', N],
      ['Default_Weekly_Hours', N],
      ['Full_Time_Equivalent_Percentage', N],
      ['Exclude_from_Headcount', B],
      ['Pay_Rate_Type_Reference', REF],
      ['Job_Profile_Summary_Data', 'wd:Job_Profile_in_Position_Summary_DataType'],
      ['Business_Site_Summary_Data', 'wd:Location_Summary_DataType'],
      ['Manager_as_of_last_detected_manager_change_Reference', REF, 0, 'unbounded'],
    ],
    [['Effective_Date', D]],
  ),
  complex('Job_Profile_in_Position_Summary_DataType', [
    ['Job_Profile_Reference', REF],
    ['Job_Exempt', B],
    ['Management_Level_Reference', REF],
    ['Job_Category_Reference', REF],
    ['Job_Family_Reference', REF, 0, 'unbounded'],
    ['Job_Profile_Name', S],
    ['Work_Shift_Required', B],
    ['Critical_Job', B],
  ]),
  complex('Location_Summary_DataType', [
    ['Location_Reference', REF],
    ['Name', S],
    ['Location_Type_Reference', REF, 0, 'unbounded'],
    ['Local_Reference', REF],
    ['Time_Profile_Reference', REF],
    ['Scheduled_Weekly_Hours', N],
    ['Address_Data', 'wd:Address_Information_DataType', 0, 'unbounded'],
  ]),
  complex('Worker_Compensation_DataType', [
    ['Compensation_Effective_Date', D],
    ['Reason_Reference', REF],
    ['Salary_and_Hourly_Data', 'wd:Employee_Base_Pay_Plan_Assignment_DataType', 0, 'unbounded'],
  ]),
  complex('Employee_Base_Pay_Plan_Assignment_DataType', [
    ['Compensation_Plan_Reference', REF],
    ['Compensation_Element_Reference', REF],
    ['Amount', N],
    ['Currency_Reference', REF],
    ['Frequency_Reference', REF],
    ['Assignment_Effective_Date', D],
  ]),
  complex('Worker_Organization_DataType', [
    ['Worker_Organization_Data', 'wd:Worker_Organization_Membership_DataType', 0, 'unbounded'],
  ]),
  complex('Worker_Organization_Membership_DataType', [
    ['Organization_Reference', REF, 1],
    ['Organization_Data', 'wd:Organization_Summary_DataType', 1],
  ]),
  complex('Organization_Summary_DataType', [
    ['Organization_Reference_ID', S],
    ['Organization_Code', S],
    ['Organization_Name', S],
    ['Organization_Type_Reference', REF],
    ['Organization_Subtype_Reference', REF],
    ['Used_in_Change_Organization_Assignments', B],
  ]),
  complex('Worker_Role_DataType', [['Organization_Role_Data', 'wd:Worker_Organization_Role_DataType']]),
  complex('Worker_Organization_Role_DataType', [
    ['Organization_Role', 'wd:Organization_Role_for_Worker_DataType', 0, 'unbounded'],
  ]),
  complex('Organization_Role_for_Worker_DataType', [
    ['Organization_Role_Reference', REF],
    ['Organization_Role_Data', 'wd:Organization_Role_Assignment_for_Worker_DataType', 0, 'unbounded'],
  ]),
  complex('Organization_Role_Assignment_for_Worker_DataType', [
    ['Role_Assigner_Reference', REF],
    ['Effective_Date', D],
  ]),
  complex('Worker_Management_Chain_DataType', [
    ['Worker_Supervisory_Management_Chain_Data', 'wd:Worker_Supervisory_Management_Chain_DataType'],
  ]),
  complex('Worker_Supervisory_Management_Chain_DataType', [
    ['Management_Chain_Data', 'wd:Management_Chain_DataType', 0, 'unbounded'],
  ]),
  complex('Management_Chain_DataType', [
    ['Organization_Reference', REF],
    ['Manager_Reference', REF, 0, 'unbounded'],
    ['Manager', 'wd:Worker_Basic_DataType', 0, 'unbounded'],
  ]),
  complex('Worker_Basic_DataType', [
    ['Worker_Reference', REF],
    ['Worker_Descriptor', S],
  ]),
  complex('Leave_Status_Detail_DataType', [
    ['On_Leave', B],
    ['Leave_Start_Date', D],
    ['Estimated_Leave_End_Date', D],
    ['Leave_End_Date', D],
    ['First_Day_Of_Work', D],
    ['Leave_Last_Day_of_Work', D],
    ['Leave_of_Absence_Type_Reference', REF],
  ]),
  complex('Event_Target_Transaction_Log_Entry_DataType', [
    ['Transaction_Log_Entry', 'wd:Transaction_Log_EntryType', 0, 'unbounded'],
  ]),
  complex('Transaction_Log_EntryType', [
    ['Transaction_Log_Reference', REF],
    ['Transaction_Log_Data', 'wd:Transaction_Log_DataType'],
  ]),
  complex('Transaction_Log_DataType', [
    ['Transaction_Log_Description', S],
    ['Transaction_Effective_Moment', DT],
    ['Transaction_Entry_Moment', DT],
    ['Transaction_Log_Type_Reference', REF, 0, 'unbounded'],
    ['Is_Rescind_Or_Rescinded', B],
    ['Is_Correction_Or_Corrected', B],
  ]),
];

const STATUS_BEFORE_ELIGIBILITY: Field[] = [
  ['Active', B],
  ['Active_Status_Date', D],
  ['Hire_Date', D],
  ['Original_Hire_Date', D],
  ['Hire_Reason_Reference', REF],
  ['Continuous_Service_Date', D],
  ['First_Day_of_Work', D],
  ['Retired', B],
  ['Seniority_Date', D],
  ['Benefits_Service_Date', D],
  ['Company_Service_Date', D],
  ['Terminated', B],
  ['Termination_Date', D],
  ['Pay_Through_Date', D],
  ['Primary_Termination_Reason_Reference', REF],
  ['Primary_Termination_Category_Reference', REF],
  ['Termination_Involuntary', B],
];
const STATUS_AFTER_ELIGIBILITY: Field[] = [
  ['Hire_Rescinded', B],
  ['Termination_Last_Day_of_Work', D],
  ['Leave_Status_Data', 'wd:Leave_Status_Detail_DataType', 0, 'unbounded'],
  ['Rehire', B],
];
const USAGE: Field = ['Usage_Data', 'wd:Communication_Method_Usage_Information_DataType', 0, 'unbounded'];

/** The types where the families differ: phone, the job wrapper and hire eligibility. */
function familyTypes(family: SchemaFamily): string[] {
  const v31 = family === 'v31';
  const phone = v31
    ? complex(
        'Phone_Information_DataType',
        [
          ['Country_ISO_Code', S],
          ['International_Phone_Code', S],
          ['Phone_Number', S],
          ['Phone_Extension', S],
          ['Phone_Device_Type_Reference', REF],
          USAGE,
          ['ID', S],
        ],
        [
          ['Area_Code', S],
          ['Tenant_Formatted_Phone', S],
          ['International_Formatted_Phone', S],
          ['Phone_Number_Without_Area_Code', S],
          ['National_Formatted_Phone', S],
          ['E164_Formatted_Phone', S],
        ],
      )
    : complex(
        'Phone_Information_DataType',
        [
          ['Country_ISO_Code', S],
          ['International_Phone_Code', S],
          ['Area_Code', S],
          ['Phone_Number', S],
          ['Phone_Extension', S],
          ['Phone_Device_Type_Reference', REF],
          USAGE,
          ['ID', S],
        ],
        [['Formatted_Phone', S]],
      );
  const status: Field = ['Worker_Status_Data', 'wd:Worker_Status_Detail_DataType'];
  const employment =
    family === 'v2x'
      ? complex('Worker_Employment_Information_DataType', [
          ['Position_Data', 'wd:Position_Detail_DataType', 0, 'unbounded'],
          status,
        ])
      : complex('Worker_Employment_Information_DataType', [
          ['Worker_Job_Data', 'wd:Worker_Job_DataType', 0, 'unbounded'],
          status,
        ]) +
        complex(
          'Worker_Job_DataType',
          [['Position_Data', 'wd:Position_Detail_DataType']],
          [['Primary_Job', B]],
        );
  const eligibility: Field[] = v31
    ? [
        ['Eligible_for_Hire_Reference', REF],
        ['Regrettable_Termination', B],
        ['Eligible_for_Rehire_on_Latest_Termination_Reference', REF],
      ]
    : [
        ['Not_Eligible_for_Hire', B],
        ['Regrettable_Termination', B],
      ];
  const statusType = complex('Worker_Status_Detail_DataType', [
    ...STATUS_BEFORE_ELIGIBILITY,
    ...eligibility,
    ...STATUS_AFTER_ELIGIBILITY,
  ]);
  return [phone, employment, statusType];
}

/**
 * The inline schema for a version's family (default: the newest), also usable on its own: tests
 * validate pages against it with xmllint.
 */
export function schemaXml(version = 'v44.0'): string {
  return (
    '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:wd="urn:com.workday/bsvc" ' +
    'elementFormDefault="qualified" attributeFormDefault="qualified" targetNamespace="urn:com.workday/bsvc">' +
    '<xsd:element name="Get_Workers_Request" type="wd:Get_Workers_RequestType"/>' +
    '<xsd:element name="Get_Workers_Response" type="wd:Get_Workers_ResponseType"/>' +
    '<xsd:element name="Validation_Fault" type="wd:Validation_FaultType"/>' +
    '<xsd:element name="Processing_Fault" type="wd:Processing_FaultType"/>' +
    '<xsd:element name="Workday_Common_Header" type="wd:Workday_Common_HeaderType"/>' +
    `${COMMON_TYPES.join('')}${familyTypes(schemaFamily(version)).join('')}</xsd:schema>`
  );
}

/**
 * The WSDL served at `<endpoint>?wsdl`, its soap:address pointing back at `endpoint`, its schema
 * that of `version`'s family.
 */
export function wsdlXml(endpoint: string, version: string): string {
  const escAttr = endpoint.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:wd-wsdl="urn:com.workday/bsvc/Human_Resources" ' +
    'xmlns:wd="urn:com.workday/bsvc" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
    'xmlns:soapbind="http://schemas.xmlsoap.org/wsdl/soap/" name="Human_Resources" targetNamespace="urn:com.workday/bsvc/Human_Resources">' +
    '<wsdl:documentation>wdsync Workday simulator: the Get_Workers operation of the Human_Resources service.</wsdl:documentation>' +
    `<wsdl:types>${schemaXml(version)}</wsdl:types>` +
    '<wsdl:message name="Validation_FaultMsg"><wsdl:part name="body" element="wd:Validation_Fault"/></wsdl:message>' +
    '<wsdl:message name="Processing_FaultMsg"><wsdl:part name="body" element="wd:Processing_Fault"/></wsdl:message>' +
    '<wsdl:message name="Workday_Common_HeaderMsg"><wsdl:part name="header" element="wd:Workday_Common_Header"/></wsdl:message>' +
    '<wsdl:message name="Get_Workers_RequestInputMsg"><wsdl:part name="body" element="wd:Get_Workers_Request"/></wsdl:message>' +
    '<wsdl:message name="Get_Workers_ResponseOutputMsg"><wsdl:part name="body" element="wd:Get_Workers_Response"/></wsdl:message>' +
    '<wsdl:portType name="Human_ResourcesPort"><wsdl:operation name="Get_Workers">' +
    '<wsdl:documentation>Returns public and private information for specified workers.</wsdl:documentation>' +
    '<wsdl:input name="Get_WorkersInput" message="wd-wsdl:Get_Workers_RequestInputMsg"/>' +
    '<wsdl:output name="Get_WorkersOutput" message="wd-wsdl:Get_Workers_ResponseOutputMsg"/>' +
    '<wsdl:fault name="Validation_Fault" message="wd-wsdl:Validation_FaultMsg"/>' +
    '<wsdl:fault name="Processing_Fault" message="wd-wsdl:Processing_FaultMsg"/>' +
    '</wsdl:operation></wsdl:portType>' +
    '<wsdl:binding name="Human_ResourcesBinding" type="wd-wsdl:Human_ResourcesPort">' +
    '<soapbind:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>' +
    '<wsdl:operation name="Get_Workers"><soapbind:operation style="document"/>' +
    '<wsdl:input name="Get_WorkersInput"><soapbind:body use="literal"/>' +
    '<soapbind:header message="wd-wsdl:Workday_Common_HeaderMsg" part="header" use="literal"/></wsdl:input>' +
    '<wsdl:output name="Get_WorkersOutput"><soapbind:body use="literal"/></wsdl:output>' +
    '<wsdl:fault name="Processing_Fault"><soapbind:fault name="Processing_Fault" use="literal"/></wsdl:fault>' +
    '<wsdl:fault name="Validation_Fault"><soapbind:fault name="Validation_Fault" use="literal"/></wsdl:fault>' +
    '</wsdl:operation></wsdl:binding>' +
    `<wsdl:service name="Human_ResourcesService"><wsdl:port name="Human_Resources" binding="wd-wsdl:Human_ResourcesBinding"><soapbind:address location="${escAttr}"/></wsdl:port></wsdl:service>` +
    '</wsdl:definitions>'
  );
}
