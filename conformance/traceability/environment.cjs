// environment.cjs KIND ORGS_JSON OUT: writes the Postman environment a collection of KIND runs with.
// ORGS_JSON is run.sh's list of organisations [{base, did, clientId, secret, audience, tokenEndpoint}, ...]:
//   conformance  the six variables of tests/conformance_suite.postman_environment.json, organisation 1
//   single       the same + CLIENT_SCOPE (every scope of the client), for the one-organisation tutorials
//   pair         the same for organisation 1, ISSUER_* = organisation 1, VERIFIER_* = organisation 2,
//                VERIFIER_CLIENT_SCOPE (presentations-exchange, -verify, -exchange-oauth)
//   three        ORG_n_{BASE_URL,DID_WEB,CLIENT_ID,CLIENT_SECRET,TOKEN_AUDIENCE,TOKEN_ENDPOINT}, n = 1..3
//                (workflow-instance-join)
'use strict';
const fs = require('node:fs');
const [kind, orgsFile, out] = process.argv.slice(2);
const orgs = JSON.parse(fs.readFileSync(orgsFile, 'utf8'));
const values = {};
const six = (prefix, org) => {
  values[`${prefix}API_BASE_URL`] = org.base;
  values[`${prefix}CLIENT_ID`] = org.clientId;
  values[`${prefix}CLIENT_SECRET`] = org.secret;
  values[`${prefix}ORGANIZATION_DID_WEB`] = org.did;
  values[`${prefix}TOKEN_AUDIENCE`] = org.audience;
  values[`${prefix}TOKEN_ENDPOINT`] = org.tokenEndpoint;
};
if(kind === 'three') {
  orgs.slice(0, 3).forEach((org, i) => {
    const n = i + 1;
    Object.assign(values, {
      [`ORG_${n}_BASE_URL`]: org.base, [`ORG_${n}_DID_WEB`]: org.did, [`ORG_${n}_CLIENT_ID`]: org.clientId,
      [`ORG_${n}_CLIENT_SECRET`]: org.secret, [`ORG_${n}_TOKEN_AUDIENCE`]: org.audience,
      [`ORG_${n}_TOKEN_ENDPOINT`]: org.tokenEndpoint,
    });
  });
} else {
  six('', orgs[0]);
  if(kind !== 'conformance') {
    values.CLIENT_SCOPE = orgs[0].scope;
  }
  if(kind === 'pair') {
    six('ISSUER_', orgs[0]);
    six('VERIFIER_', orgs[1]);
    values.VERIFIER_CLIENT_SCOPE = orgs[1].scope;
  }
}
const env = {
  id: `vctrade-${kind}`, name: `vctrade traceability (${kind})`,
  values: Object.entries(values).map(([key, value]) => ({key, value, type: 'default', enabled: true})),
  _postman_variable_scope: 'environment',
};
fs.writeFileSync(out, JSON.stringify(env, null, 2));
