# ruleward: ruleset 'two_valued' version '1'; generated code
def _evaluate(ev):
    _fired = 0
    _errs = []
    _f0 = ev.get('surface')
    _f1 = ev.get('actor')
    _f2 = ev.get('jurisdictions')
    _f3 = ev.get('reports', _D2)
    # rule 'repeat_striker', line 7
    try:
        _rv = ((_f0 in _K0) if _f0.__class__ is _str else _member(_f0, _L1))
        if _rv:
            _t1 = (_f1.get('active_strikes', 0) if _f1.__class__ is _dict else _get(_f1, 'active_strikes', 0))
            _rv = ((_t1 >= 3) if (_t1.__class__ is _int or (_t1.__class__ is _float and _t1 == _t1)) else False if _t1 is None else _order('>=', _t1, 3))
        if not _rv:
            _rv = False
        else:
            _t2 = ((_f1.get('age_band', 'unknown') if _f1.__class__ is _dict else _get(_f1, 'age_band', 'unknown')) == 'adult')
            if not _t2:
                _t3 = (_f1.get('prior_confirmed_csam', False) if _f1.__class__ is _dict else _get(_f1, 'prior_confirmed_csam', False))
                if _t3 is not True and _t3 is not False: _t3 = _truth(_t3)
                _t2 = (not _t3)
            if _t2:
                _rv = False
            else:
                _rv = True
                _fired |= 1
    except _Exception as _e:
        _errs.append((0, _fail(_e)))
    # rule 'shadow_probe', line 19
    try:
        _t4 = _f2
        if _t4.__class__ is not _list: _t4 = _iter(_t4)
        _rv = True
        for _v0 in _t4:
            _t5 = (not (_v0 == 'US'))
            if not _t5:
                _rv = False
                break
        if _rv: _fired |= 2
    except _Exception as _e:
        _errs.append((1, _fail(_e)))
    # rule 'takedown', line 13
    try:
        _t6 = _f3
        if _t6.__class__ is not _list: _t6 = _iter(_t6)
        _rv = False
        for _v1 in _t6:
            _t7 = ((_v1.get('source') if _v1.__class__ is _dict else _get(_v1, 'source')) == 'takedown_request')
            if _t7:
                _t7 = (_v1.get('takedown_valid', False) if _v1.__class__ is _dict else _get(_v1, 'takedown_valid', False))
                if _t7 is not True and _t7 is not False: _t7 = _truth(_t7)
            if _t7:
                _rv = True
                break
        if _rv: _fired |= 4
    except _Exception as _e:
        _errs.append((2, _fail(_e)))
    return _fired, _errs
