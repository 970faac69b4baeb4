"""Document -> facts with evidence: classify the agreement, extract its terms, align it to its template."""
