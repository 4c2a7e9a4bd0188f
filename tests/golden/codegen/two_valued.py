# ruleward: ruleset 'two_valued' version '1'; generated code
def _evaluate(ev):
    _fired = 0
    _errs = []
    _f0 = ev.get('surface')
    _f1 = ev.get('actor')
    _f2 = ev.get('jurisdictions')
    _f3 = ev.get('reports')
    if _f3 is None: _f3 = _D2
    # rule 'repeat_striker', line 7
    try:
        _rv = ((_f0 in _K0) if _f0.__class__ is _str else _member(_f0, _L1))
        if _rv:
            _t2 = ((_t1 if (_t1 := _f1.get('active_strikes')) is not None else 0) if _f1.__class__ is _dict else _get(_f1, 'active_strikes', 0))
            _rv = ((_t2 >= 3) if (_t2.__class__ is _int or (_t2.__class__ is _float and _t2 == _t2)) else False if _t2 is None else _order('>=', _t2, 3))
        if not _rv:
            _rv = False
        else:
            _t3 = (((_t4 if (_t4 := _f1.get('age_band')) is not None else 'unknown') if _f1.__class__ is _dict else _get(_f1, 'age_band', 'unknown')) == 'adult')
            if not _t3:
                _t6 = ((_t5 if (_t5 := _f1.get('prior_confirmed_csam')) is not None else False) if _f1.__class__ is _dict else _get(_f1, 'prior_confirmed_csam', False))
                if _t6 is not True and _t6 is not False: _t6 = _truth(_t6)
                _t3 = (not _t6)
            if _t3:
                _rv = False
            else:
                _rv = True
                _fired |= 1
    except _Exception as _e:
        _errs.append((0, _fail(_e)))
    # rule 'shadow_probe', line 19
    try:
        _t7 = _f2
        if _t7.__class__ is not _list: _t7 = _iter(_t7)
        _rv = True
        for _v0 in _t7:
            _t8 = (not (_v0 == 'US'))
            if not _t8:
                _rv = False
                break
        if _rv: _fired |= 2
    except _Exception as _e:
        _errs.append((1, _fail(_e)))
    # rule 'takedown', line 13
    try:
        _t9 = _f3
        if _t9.__class__ is not _list: _t9 = _iter(_t9)
        _rv = False
        for _v1 in _t9:
            _t10 = ((_v1.get('source') if _v1.__class__ is _dict else _get(_v1, 'source')) == 'takedown_request')
            if _t10:
                _t10 = ((_t11 if (_t11 := _v1.get('takedown_valid')) is not None else False) if _v1.__class__ is _dict else _get(_v1, 'takedown_valid', False))
                if _t10 is not True and _t10 is not False: _t10 = _truth(_t10)
            if _t10:
                _rv = True
                break
        if _rv: _fired |= 4
    except _Exception as _e:
        _errs.append((2, _fail(_e)))
    return _fired, _errs
