// Decide requests with @cloud-copilot/iam-simulate (a second, independent IAM evaluator) for
// tests/aws/test_second_evaluator.py. Reads {identity, boundary, requests} as JSON on stdin and writes one verdict
// per request ("allow", "explicit deny", "implicit deny", or "error: ..." when the simulator refuses the input).
import { runSimulation } from '@cloud-copilot/iam-simulate'

const input = JSON.parse(await new Promise((resolve) => {
  let text = ''
  process.stdin.on('data', (chunk) => { text += chunk })
  process.stdin.on('end', () => resolve(text))
}))
const VERDICTS = { Allowed: 'allow', ExplicitlyDenied: 'explicit deny', ImplicitlyDenied: 'implicit deny' }
const verdicts = []
for (const request of input.requests) {
  const simulation = {
    request: {
      principal: input.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: input.account },
      contextVariables: request.context,
    },
    identityPolicies: input.identity.map((policy, index) => ({ name: `identity${index}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    permissionBoundaryPolicies: input.boundary ? [{ name: 'boundary', policy: input.boundary }] : undefined,
  }
  try {
    const result = await runSimulation(simulation, {})
    verdicts.push(result.errors ? `error: ${JSON.stringify(result.errors).slice(0, 200)}` : VERDICTS[result.overallResult] ?? result.overallResult)
  } catch (error) {
    verdicts.push(`error: ${String(error).slice(0, 200)}`)
  }
}
process.stdout.write(JSON.stringify(verdicts))
