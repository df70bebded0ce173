"""What the statutory guidance and the council's protocol ask next: actions due, referrals, interventions and meetings."""
