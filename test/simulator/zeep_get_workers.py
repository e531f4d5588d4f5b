"""Reads one Get_Workers page with zeep, strict, from Workday's real WSDL (not the simulator's).

Usage: zeep_get_workers.py WSDL ENDPOINT USERNAME PASSWORD COUNT
Prints one JSON line: the workers zeep bound and a few fields read through the WSDL's types.
A response that does not fit the WSDL's schema makes zeep raise, and this script exit non-zero.
"""
import json
import sys

from zeep import Client, Settings
from zeep.wsse.username import UsernameToken

wsdl, endpoint, username, password, count = sys.argv[1:6]
# strict=True (zeep's default, stated here because it is the point): unexpected or misplaced
# elements are errors. xsd_ignore_sequence_order stays False, so order is checked too.
settings = Settings(strict=True, xsd_ignore_sequence_order=False)
client = Client(wsdl, settings=settings, wsse=UsernameToken(username, password))
service = client.create_service('{urn:com.workday/bsvc/Human_Resources}Human_ResourcesBinding', endpoint)
result = service.Get_Workers(
    Response_Filter={'Page': 1, 'Count': int(count)},
    Response_Group={
        'Include_Reference': True,
        'Include_Personal_Information': True,
        'Include_Employment_Information': True,
        'Include_Compensation': True,
        'Include_Organizations': True,
        'Include_Roles': True,
    },
)
workers = result.Response_Data.Worker
phones = []
titles = []
for w in workers:
    contact = w.Worker_Data.Personal_Data.Contact_Data
    phones.append(
        {
            'tenant': contact.Phone_Data[0].Tenant_Formatted_Phone,
            'e164': contact.Phone_Data[0].E164_Formatted_Phone,
            'area': contact.Phone_Data[0].Area_Code,
            'number': contact.Phone_Data[0].Phone_Number,
        }
    )
    titles.append(w.Worker_Data.Employment_Data.Worker_Job_Data[0].Position_Data.Position_Title)
print(
    json.dumps(
        {
            'version': result.version if hasattr(result, 'version') else None,
            'total': int(result.Response_Results.Total_Results),
            'workers': len(workers),
            'wids': [next(i._value_1 for i in w.Worker_Reference.ID if i.type == 'WID') for w in workers],
            'phones': phones,
            'titles': titles,
        }
    )
)
