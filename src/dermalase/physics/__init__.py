"""Physics: optics (Beer-Lambert), ablation, heat conduction (Pennes), Arrhenius damage."""
