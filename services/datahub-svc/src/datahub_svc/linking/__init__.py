"""Linking (关联整合): every record to one supervised object, exactly by credit code or by fuzzy match."""
