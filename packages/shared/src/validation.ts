import type { z } from 'zod'

/**
 * One line per problem, each naming the field: `benefitTemplateId: at most 64
 * characters; quantity: must be at least 1`. For answers a person reads.
 */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.')
      // zod's own words for a missing field are "expected string, received undefined".
      const message = issue.code === 'invalid_type' && /received undefined$/.test(issue.message) ? 'is required' : issue.message
      return path ? `${path}: ${message}` : message
    })
    .join('; ')
}
