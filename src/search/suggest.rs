//! Occupation suggestions: free-text job titles to ranked CSCO 2022 codes.
